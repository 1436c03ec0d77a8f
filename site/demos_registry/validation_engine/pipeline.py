"""The ordered checks, run inside the sandboxed worker; results leave as events, one per line.

Emitting each result as soon as it exists means a worker killed by a limit still leaves every
finished check behind, and the parent knows which check was running when it died.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import sys
import time
from collections.abc import Callable
from typing import Any

from .checks.cross_engine import check_cross_engine
from .checks.integrity import check_checksums, check_integrity
from .checks.patch_points import check_patch_points, evaluate_points
from .checks.patches import check_patches
from .checks.references import check_expected_outputs, check_reference_points
from .checks.schema import check_schema
from .checks.stability import check_stability
from .context import Context
from .facts import extract_facts
from .inputs import Submission, load_submission
from .limits import ResourceLimits
from .metadata import MetadataError, ValidationMetadata, parse_metadata
from .report import CheckResult, CheckStatus, json_safe
from .steps import PLOTS, selected_checks

CHECKS: dict[str, Callable[[Context], CheckResult]] = {
    "integrity": check_integrity,
    "checksums": check_checksums,
    "schema": check_schema,
    "patches": check_patches,
    "reference_points": check_reference_points,
    "expected_outputs": check_expected_outputs,
    "stability": check_stability,
    "cross_engine": check_cross_engine,
}

Emit = Callable[[dict[str, Any]], None]


def run_pipeline(job: dict[str, Any], emit: Emit) -> None:
    """Run the selected checks of one job, then facts and plots, emitting each result as it exists.

    A job with `point_indices` evaluates only those signal points (one chunk of a patchset).
    A job with `point_rows` (the rows of an earlier run) draws their table and figure with the plots.
    """
    limits = ResourceLimits.from_dict(job.get("limits"))
    checks = selected_checks(job.get("checks"))

    def progress(message: str) -> None:
        emit({"event": "progress", "message": message})

    metadata = _metadata_or_failure(job.get("metadata"), emit)
    emit({"event": "started", "check": "integrity"})
    progress("reading and unpacking files")
    started = time.perf_counter()
    submission = load_submission(job["paths"], limits, job.get("display_names"))
    loading_seconds = time.perf_counter() - started
    context = Context(submission, metadata, limits, progress)
    context.point_rows = job.get("point_rows")
    if job.get("point_indices") is not None:
        _run_point_chunk(context, job["point_indices"], emit)
        return
    emit({"event": "files", "files": _file_list(submission)})
    inline_points = job.get("inline_patch_points")
    run_checks = {**CHECKS, "patch_points": lambda context: check_patch_points(context, inline_points)}
    for check_id in checks:
        if check_id == PLOTS:
            continue
        emit({"event": "started", "check": check_id})
        result = _run_check(check_id, run_checks[check_id], context)
        if check_id == "integrity":
            result.duration_seconds += loading_seconds
        emit({"event": "check", "result": json_safe(result.to_dict())})
    emit({"event": "started", "check": "facts"})
    progress("extracting facts")
    emit({"event": "facts", "facts": extract_facts(context)})
    if PLOTS in checks:
        _run_plots(context, job.get("output_dir"), emit)
    emit({"event": "engines", "engines": engine_versions()})


def _metadata_or_failure(raw: Any, emit: Emit) -> ValidationMetadata:
    try:
        return parse_metadata(raw)
    except (MetadataError, AttributeError, TypeError) as exc:
        failure = CheckResult("metadata", CheckStatus.FAILED, f"the metadata is malformed: {exc}")
        emit({"event": "check", "result": failure.to_dict()})
        return ValidationMetadata()


def _run_point_chunk(context: Context, indices: list[int], emit: Emit) -> None:
    """Each point's row leaves as soon as it exists: a chunk killed by a limit keeps the rows it made."""
    emit({"event": "started", "check": "patch_points"})
    for row in evaluate_points(context, indices):
        emit({"event": "point", "row": row})


def _run_check(check_id: str, check: Callable[[Context], CheckResult], context: Context) -> CheckResult:
    started = time.perf_counter()
    try:
        result = check(context)
    except MemoryError:
        result = CheckResult(
            check_id, CheckStatus.FAILED, f"out of memory (limit {context.limits.memory_bytes} bytes)"
        )
    except RecursionError:
        result = CheckResult(check_id, CheckStatus.FAILED, "the input nests too deeply to evaluate")
    except Exception as exc:
        result = CheckResult(check_id, CheckStatus.FAILED, f"the check crashed: {type(exc).__name__}: {exc}")
    result.duration_seconds = time.perf_counter() - started
    return result


def _run_plots(context: Context, output_dir: str | None, emit: Emit) -> None:
    if not output_dir:
        return
    from .plots import generate_plots
    from .point_outputs import write_point_outputs

    emit({"event": "started", "check": PLOTS})
    started = time.perf_counter()
    try:
        written, skipped = generate_plots(context, output_dir)
    except Exception as exc:
        written, skipped = [], [f"plotting failed: {type(exc).__name__}: {exc}"]
    if context.point_rows:
        try:
            written += write_point_outputs(context.point_rows, output_dir)
        except Exception as exc:
            skipped.append(f"the signal-point table or figure failed: {type(exc).__name__}: {exc}")
    status = CheckStatus.PASSED if written else CheckStatus.SKIPPED
    reason = f"{len(written)} file(s) written" + (f"; {'; '.join(skipped)}" if skipped else "")
    result = CheckResult(PLOTS, status, reason, {"files": written, "skipped": skipped})
    result.duration_seconds = time.perf_counter() - started
    emit({"event": "plots", "files": written})
    emit({"event": "check", "result": json_safe(result.to_dict())})


def _file_list(submission: Submission) -> list[dict[str, Any]]:
    members = [document for document in submission.documents if document.archive is not None]
    return [entry.summary() for entry in submission.files + members]


ENGINE_LIBRARIES = ("pyhf", "pyhs3", "pytensor", "numpy", "scipy", "jsonschema", "matplotlib")


def engine_versions() -> dict[str, str]:
    """Versions of the Python and of every engine library installed for the worker, and of ROOT if loaded.

    Installed rather than loaded: a warm worker has every library loaded before the job starts.
    """
    versions = {"python": sys.version.split()[0]}
    for name in ENGINE_LIBRARIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    root = sys.modules.get("ROOT")
    if root is not None:
        versions["root"] = str(root.gROOT.GetVersion())
    return versions
