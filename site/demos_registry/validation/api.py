"""Public entry points: `validate()` for Python callers and `validate_for_task()` for a task queue."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .isolation import WorkerRun, run_worker
from .limits import ResourceLimits
from .report import CheckResult, CheckStatus, ValidationReport
from .steps import selected_checks


@dataclass
class ValidationOptions:
    """How to run: limits, which checks or CI steps (None = all), where plots go, progress sink."""

    limits: ResourceLimits = field(default_factory=ResourceLimits)
    checks: list[str] | None = None
    output_dir: str | None = None
    progress: Callable[[str], None] | None = None


def expand_paths(paths: list[str]) -> list[str]:
    """Directories stand for the files in them (recursively, sorted, hidden ones left out)."""
    expanded = []
    for path in paths:
        if not os.path.isdir(path):
            expanded.append(path)
            continue
        for directory, subdirectories, files in os.walk(path):
            subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
            expanded += [os.path.join(directory, name) for name in sorted(files) if not name.startswith(".")]
    return expanded


def validate(
    paths: list[str] | str,
    metadata: dict[str, Any] | list[Any] | None = None,
    options: ValidationOptions | None = None,
) -> ValidationReport:
    """Validate a submission (model files plus DEMOS metadata) in a sandboxed worker process."""
    options = options or ValidationOptions()
    paths = expand_paths([paths] if isinstance(paths, str) else list(paths))
    checks = selected_checks(options.checks)
    started = time.perf_counter()
    job = {
        "paths": [os.path.abspath(path) for path in paths],
        "metadata": metadata,
        "checks": checks,
        "output_dir": os.path.abspath(options.output_dir) if options.output_dir else None,
    }

    def forward(event: dict[str, Any]) -> None:
        if options.progress is None:
            return
        if event.get("event") == "progress":
            options.progress(event["message"])
        elif event.get("event") == "check":
            result = event["result"]
            options.progress(f"{result['id']}: {result['status']} ({result['duration_seconds']:.2f} s)")

    try:
        run = run_worker(job, options.limits, forward)
    except OSError as exc:
        return ValidationReport(
            error=f"the validation worker could not be started: {exc}", limits=options.limits.to_dict()
        )
    report = report_from_run(run, checks, options.limits)
    report.timings["total_seconds"] = time.perf_counter() - started
    return report


def validate_for_task(
    file_paths: list[str], metadata: dict[str, Any] | None, output_dir: str, limits: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """For a Celery task: plain values in, the report dict and the produced plot files out."""
    options = ValidationOptions(limits=ResourceLimits.from_dict(limits), output_dir=output_dir)
    report = validate(file_paths, metadata, options)
    return report.to_dict(), list(report.plots)


def report_from_run(run: WorkerRun, checks: list[str], limits: ResourceLimits) -> ValidationReport:
    """Assemble the report; a check the worker died in fails with the reason it died."""
    report = ValidationReport(limits=limits.to_dict())
    running = None
    for event in run.events:
        kind = event.get("event")
        if kind == "started":
            running = event["check"]
        elif kind == "check":
            report.checks.append(CheckResult.from_dict(event["result"]))
            running = None
        elif kind == "files":
            report.files = event["files"]
        elif kind == "facts":
            report.facts = event["facts"]
            running = None
        elif kind == "engines":
            report.engines = event["engines"]
        elif kind == "plots":
            report.plots = event["files"]
        elif kind == "sandbox":
            report.timings["network_isolation"] = event["network"]
    report.timings.update(
        worker_wall_seconds=run.wall_seconds,
        worker_cpu_seconds=run.cpu_seconds,
        worker_peak_rss_bytes=run.peak_rss_bytes,
    )
    if run.failure is None:
        return report
    if running is None and not report.checks:
        report.error = f"the validation worker {run.failure}; {run.stderr_tail.strip()[-500:]}"
        return report
    failed_in = running or "worker"
    report.checks.append(
        CheckResult(
            failed_in,
            CheckStatus.FAILED,
            f"the sandboxed worker {run.failure} during this check",
            {"stderr": run.stderr_tail[-1000:]},
        )
    )
    done = {check.id for check in report.checks}
    for check_id in checks:
        if check_id not in done:
            report.checks.append(
                CheckResult(check_id, CheckStatus.SKIPPED, f"not run: the worker stopped during {failed_in}")
            )
    return report
