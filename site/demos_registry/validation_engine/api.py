"""Public entry points: `validate()` for Python callers and `validate_for_task()` for a task queue."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .isolation import WorkerRun
from .limits import ResourceLimits
from .point_results import CHECK_ID, merge_point_rows, not_evaluated_row
from .report import CheckResult, CheckStatus, ValidationReport
from .steps import CHECK_ORDER, PLOTS, selected_checks
from .warm import run_worker

WORKER_FAILURE = "worker_failure"
"""Detail of the check a worker stopped in: why it stopped (a limit, a crash)."""
INLINE_PATCH_POINTS = 20
"""Signal points evaluated within one run by default (a few seconds each for a real analysis);
more are left to `evaluate_patch_points` in chunks, so that one run stays within its limits."""


@dataclass
class ValidationOptions:
    """How to run: limits, which checks or CI steps (None = all), where plots go, progress sink.

    `inline_patch_points` is the most signal points evaluated in the run itself (None: all).
    """

    limits: ResourceLimits = field(default_factory=ResourceLimits)
    checks: list[str] | None = None
    output_dir: str | None = None
    progress: Callable[[str], None] | None = None
    inline_patch_points: int | None = INLINE_PATCH_POINTS


@dataclass
class PointChunk:
    """The rows of one chunk of signal points, and what its sandbox cost."""

    rows: list[dict[str, Any]]
    wall_seconds: float
    cpu_seconds: float
    failure: str | None = None


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
        "inline_patch_points": options.inline_patch_points,
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
    file_paths: list[str],
    metadata: dict[str, Any] | None,
    limits: dict[str, Any] | None = None,
    inline_patch_points: int | None = INLINE_PATCH_POINTS,
) -> dict[str, Any]:
    """For a Celery task: plain values in, the report dict of every check but the figures out.

    The figures follow with `draw_figures_for_task`: the verdict does not wait for them.
    """
    options = ValidationOptions(
        limits=ResourceLimits.from_dict(limits),
        checks=[check for check in CHECK_ORDER if check != PLOTS],
        inline_patch_points=inline_patch_points,
    )
    return validate(file_paths, metadata, options).to_dict()


def draw_figures_for_task(
    file_paths: list[str],
    metadata: dict[str, Any] | None,
    output_dir: str,
    limits: dict[str, Any] | None = None,
    point_rows: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any] | None, list[str]]:
    """The figures of a validated submission, drawn in the sandbox: the plots check and the files.

    `point_rows` are the signal-point rows of the run they illustrate (its table and figure are
    written too). The check is None when the worker died before it (the reason is in the log).
    """
    run = run_worker(
        {
            "paths": [os.path.abspath(path) for path in expand_paths(list(file_paths))],
            "metadata": metadata,
            "checks": [PLOTS],
            "output_dir": os.path.abspath(output_dir),
            "point_rows": point_rows,
        },
        ResourceLimits.from_dict(limits),
    )
    report = report_from_run(run, [PLOTS], ResourceLimits.from_dict(limits))
    check = next((check for check in report.checks if check.id == PLOTS), None)
    return (check.to_dict() if check else None), list(report.plots)


def deferred_patch_points(report: dict[str, Any]) -> int:
    """How many signal points a run left to `evaluate_patch_points` (0 if none)."""
    check = next((check for check in report.get("checks", []) if check["id"] == CHECK_ID), None)
    details = (check or {}).get("details") or {}
    return int(details.get("points", 0)) if details.get("deferred") else 0


def point_chunks(total: int, size: int) -> list[list[int]]:
    """The point indices 0..total-1 in chunks of at most `size`, interleaved: chunk k holds k, k+n, k+2n, ...

    Neighbouring points of a patchset are alike in cost (one region's, one mass range's), so
    consecutive chunks differed up to 3x in time (ATLAS ins1748602: 0.5 s a point in RegionB,
    1.8 s in RegionC) and the costliest region's chunks came last, leaving one worker alone
    with them. Interleaved, every chunk holds the same mix and the workers finish together.
    """
    count = -(-total // size) if total > 0 else 0
    return [list(range(first, total, count)) for first in range(count)]


def evaluate_patch_points(
    paths: list[str],
    metadata: dict[str, Any] | None,
    indices: list[int],
    limits: ResourceLimits | dict[str, Any] | None = None,
) -> PointChunk:
    """Evaluate the signal points `indices` of a submission in one sandboxed worker.

    Points the worker did not report (it was killed by a limit) come back flagged with the reason.
    """
    if not isinstance(limits, ResourceLimits):
        limits = ResourceLimits.from_dict(limits)
    paths = expand_paths([paths] if isinstance(paths, str) else list(paths))
    job = {"paths": [os.path.abspath(path) for path in paths], "metadata": metadata, "point_indices": indices}
    run = run_worker(job, limits)
    rows = [event["row"] for event in run.events if event.get("event") == "point"]
    reported = {row["index"] for row in rows}
    if run.failure is not None:
        rows += [
            not_evaluated_row(point_index, f"not evaluated: the sandboxed worker {run.failure}")
            for point_index in sorted(set(indices) - reported)
        ]
    return PointChunk(rows, run.wall_seconds, run.cpu_seconds, run.failure)


def merge_patch_points(
    report: dict[str, Any], chunks: list[list[dict[str, Any]]], output_dir: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Put the rows of all chunks into a report whose points were deferred; write the tables.

    Returns the report (status recomputed) and the files written to `output_dir`.
    """
    result = merge_point_rows(chunks, deferred_patch_points(report))
    checks = [CheckResult.from_dict(check) for check in report.get("checks", [])]
    merged = ValidationReport.from_dict({**report, "checks": []})
    merged.checks = [result if check.id == CHECK_ID else check for check in checks]
    written = []
    if output_dir:
        from .point_outputs import write_point_outputs

        written = write_point_outputs(result.details["rows"], output_dir)
    merged.plots = [*merged.plots, *written]
    return merged.to_dict(), written


def report_from_run(run: WorkerRun, checks: list[str], limits: ResourceLimits) -> ValidationReport:
    """Assemble the report; a check the worker died in fails with the reason it died."""
    report = ValidationReport(limits=limits.to_dict())
    if run.sandbox is not None:
        report.sandbox = {**run.sandbox.describe(), **({"process": "warm"} if run.warm else {})}
        report.warnings += [run.sandbox.warning] if run.sandbox.warning else []
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
            {"stderr": run.stderr_tail[-1000:], WORKER_FAILURE: run.failure},
        )
    )
    done = {check.id for check in report.checks}
    for check_id in checks:
        if check_id not in done:
            report.checks.append(
                CheckResult(check_id, CheckStatus.SKIPPED, f"not run: the worker stopped during {failed_in}")
            )
    return report
