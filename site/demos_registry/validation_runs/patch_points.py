"""Signal points beyond what one validation run evaluates, fanned out over the Celery workers.

The engine evaluates up to ``DEMOS_VALIDATION_INLINE_PATCH_POINTS`` signal points of a
patchset in the run itself and defers the rest (validation_engine/checks/patch_points.py).
The deferred points are split into chunks of ``DEMOS_VALIDATION_POINTS_PER_CHUNK`` and sent
as a Celery chord: each task evaluates one chunk in its own sandbox, on any worker process
or machine (a failed chunk is retried alone, the chunk of a killed worker is delivered
again), and the callback merges the rows into the report and gives the verdict. Until then
the record stays ``running`` and shows ``points: {done, total, chunks}``. The engine numbers
the points, so the verdict does not depend on how they were chunked.
"""

import json
import shutil
import tempfile
from pathlib import Path

from celery import chord, shared_task
from flask import current_app
from invenio_db import db

from ..validation_engine.api import evaluate_patch_points, merge_patch_points, point_chunks
from ..validation_engine.point_results import CHECK_ID, not_evaluated_row
from ..validation_policies.api import judge, policy_for_record
from .api import (
    MAX_STORED_DETAILS,
    compact,
    engine_metadata,
    inputs_fingerprint,
    load,
    save,
    stage_files,
    validation_limits,
)
from .content_cache import content_key, known_rows, remember_rows
from .figures import draw_figures
from .plots import add_media_files, replace_figures
from .state import REPORT_STATUS, RUNNING, VALIDATION, current, system_actor, transition
from .tasks import MAX_RETRIES, SANDBOXED_TASK_OPTIONS

POINT_TABLE_DETAILS = "rows"
"""The per-point rows: kept on the record while small, else only in the stored table files."""


def fan_out(recid, draft, fingerprint, report, total):
    """Mark the record as evaluating its points and queue the chunks and the merge."""
    chunks = point_chunks(total, current_app.config["DEMOS_VALIDATION_POINTS_PER_CHUNK"])
    record = load(recid, draft)
    transition(
        record,
        RUNNING,
        system_actor(),
        f"{total} signal points sent to the workers in {len(chunks)} chunks",
        points={"done": 0, "total": total, "chunks": len(chunks)},
    )
    save(record, draft)
    header = [evaluate_point_chunk.s(recid, draft, fingerprint, indices) for indices in chunks]
    chord(header)(merge_point_chunks.s(recid, draft, fingerprint, report))


@shared_task(**SANDBOXED_TASK_OPTIONS)
def evaluate_point_chunk(self, recid, draft, fingerprint, indices):
    """The rows of one chunk of signal points; None when the inputs changed meanwhile.

    Points already evaluated from the same content (files, fields, engine versions) are
    taken from the point cache; only the others run in the sandbox.
    """
    workdir = Path(tempfile.mkdtemp(prefix="demos-points-"))
    try:
        record = load(recid, draft)
        if inputs_fingerprint(record) != fingerprint:
            db.session.rollback()
            return None
        key = content_key(fingerprint)
        known = known_rows(key, indices)
        missing = [index for index in indices if index not in known]
        rows = list(known.values())
        if missing:
            paths = stage_files(record, workdir)
            metadata = engine_metadata(record)
            db.session.rollback()  # the row lock is not held while the sandbox works
            evaluated = evaluate_patch_points(paths, metadata, missing, validation_limits()).rows
            remember_rows(key, evaluated)
            rows += evaluated
        db.session.rollback()
        current_app.logger.info(
            "signal points %s of %s: %d reused, %d evaluated", indices, recid, len(known), len(missing)
        )
    except Exception as error:
        db.session.rollback()
        if self.request.retries < MAX_RETRIES:
            raise self.retry(exc=error, countdown=2 ** (self.request.retries + 1)) from error
        current_app.logger.exception("signal points %s of %s could not be evaluated", indices, recid)
        rows = [not_evaluated_row(index, f"not evaluated: {error}") for index in indices]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    count_points_done(recid, draft, fingerprint, len(indices))
    return rows


def count_points_done(recid, draft, fingerprint, count):
    """Progress "n of N points" on the record (a progress figure, not a decision of the trail)."""
    record = load(recid, draft)
    state = current(record)
    points = state.get("points")
    if inputs_fingerprint(record) != fingerprint or state.get("status") != RUNNING or not points:
        db.session.rollback()
        return
    done = min(points["total"], points["done"] + count)
    record["custom_fields"][VALIDATION] = {**state, "points": {**points, "done": done}}
    save(record, draft)


def with_point_tables(report, tables):
    """Name the point check's table files; rows too many to keep on the record stay only in them."""
    for check in report.get("checks", []):
        details = check.get("details") or {}
        if check.get("id") == CHECK_ID:
            details["tables"] = tables
            if len(json.dumps(details)) > MAX_STORED_DETAILS:
                details.pop(POINT_TABLE_DETAILS, None)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def merge_point_chunks(self, chunk_rows, recid, draft, fingerprint, report):
    """The verdict: every chunk's rows in the report, the point table and figure stored."""
    if any(rows is None for rows in chunk_rows):
        return  # the inputs changed: the validation they queued gives the verdict
    workdir = Path(tempfile.mkdtemp(prefix="demos-points-merge-"))
    try:
        record = load(recid, draft)
        state = current(record)
        if inputs_fingerprint(record) != fingerprint or state.get("status") != RUNNING:
            db.session.rollback()
            return
        merged, written = merge_patch_points(report, chunk_rows, str(workdir))
        figures = replace_figures(record, written, [])
        add_media_files(record, [path for path in written if not path.endswith((".png", ".svg"))])
        merged["plots"] = [*report.get("plots", []), *figures]
        tables = sorted(Path(path).name for path in written if not path.endswith((".png", ".svg")))
        with_point_tables(merged, tables)
        total = state.get("points", {}).get("total", 0)
        policy = policy_for_record(record)
        changed_by_policy = judge(merged, policy)
        reason = (
            f"{total} signal points evaluated in {len(chunk_rows)} chunks; "
            f"{len(merged['checks'])} checks: {merged['status']} under {policy.describe()}"
        )
        if changed_by_policy:
            reason += f" ({'; '.join(changed_by_policy)})"
        state = transition(
            record,
            REPORT_STATUS[merged["status"]],
            system_actor(),
            reason,
            report=compact(merged),
            engines=merged.get("engines", {}),
            inputs=fingerprint,
            points={**state.get("points", {}), "done": total},
            policy=policy.reference,
        )
        save(record, draft)
        draw_figures.delay(recid, draft, fingerprint)
        return state["status"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
