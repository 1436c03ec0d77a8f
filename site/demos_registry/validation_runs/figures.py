"""The figures of a verdict, drawn after it by a task of their own.

A verdict does not wait for its figures: the validation run gives it from the checks alone,
then queues ``draw_figures``, which draws the model's figures (pre-fit yields, likelihood
scan) in the engine's sandbox — with the signal-point table and figure of a run that
evaluated its points itself (a fanned-out run's merge writes those) — stores them as media
files and adds them and the ``plots`` check to the stored report. Figures belong to one
verdict: the run that gives a verdict drops the figures of the last one, and a task whose
verdict was replaced meanwhile (other inputs, a newer run) draws nothing. The same content
is drawn once: a copy of a model gets media files sharing the stored files of the first.
"""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from celery import shared_task
from flask import current_app
from invenio_db import db
from invenio_pidstore.errors import PIDDoesNotExistError
from sqlalchemy.exc import NoResultFound

from ..validation_engine.api import draw_figures_for_task
from ..validation_engine.point_outputs import TABLE_STEM
from ..validation_engine.point_results import CHECK_ID as POINT_CHECK_ID
from ..validation_engine.steps import PLOTS
from .api import engine_metadata, load, save, stage_files, validation_limits
from .content_cache import known_figures, remember_figures, result_key
from .plots import figure_keys, figures_of, write_media_files
from .state import PENDING, RUNNING, VALIDATION, current
from .tasks import MAX_RETRIES, SANDBOXED_TASK_OPTIONS


@shared_task(**SANDBOXED_TASK_OPTIONS)
def draw_figures(self, recid, draft, fingerprint):
    """Draw the figures of the verdict on ``fingerprint``; a failure costs figures, never the verdict."""
    try:
        add_figures(recid, draft, fingerprint)
    except Exception as error:
        db.session.rollback()
        if self.request.retries < MAX_RETRIES:
            raise self.retry(exc=error, countdown=2 ** (self.request.retries + 1)) from error
        current_app.logger.exception("the figures of %s could not be drawn", recid)


def verdict_holder(recid, draft):
    """(record, is it a draft): the draft, or the record it became when published before its figures.

    A draft whose publication committed while this task waited for its row lock comes back
    soft-deleted: its record holds the verdict then. (None, False) when neither exists (a
    refused draft deleted meanwhile): there is nothing left to draw for.
    """
    if draft:
        try:
            holder = load(recid, draft=True)
            if not holder.model.is_deleted:
                return holder, True
        except (PIDDoesNotExistError, NoResultFound):
            pass
        db.session.rollback()
    try:
        return load(recid, draft=False), False
    except (PIDDoesNotExistError, NoResultFound):
        db.session.rollback()
        return None, False


def figures_due(state, fingerprint):
    """Whether the stored verdict is the one on ``fingerprint`` and still lacks its figures."""
    report = state.get("report") or {}
    return (
        state.get("inputs") == fingerprint
        and state.get("status") not in (PENDING, RUNNING)
        and bool(report.get("checks"))
        and not any(check.get("id") == PLOTS for check in report["checks"])
    )


def point_check(report):
    """The signal-point check of a report, or an empty dict."""
    return next((check for check in report.get("checks", []) if check.get("id") == POINT_CHECK_ID), {})


def inline_point_rows(report):
    """Rows of signal points evaluated in the run itself; None when there are none or their tables exist."""
    details = point_check(report).get("details") or {}
    if details.get("tables"):
        return None
    return details.get("rows") or None


@dataclass
class Drawing:
    """The figures of one verdict, drawn now or reused from an identical earlier drawing."""

    check: dict
    """The ``plots`` check (its ``files`` named by media-file key)."""
    figures: list
    """The report's entries of the figures (keys, kind, caption)."""
    sources: dict
    """Media-file key → the drawn file's path, or the id of the stored file it reuses."""
    tables: list
    """Keys of the signal-point table files among ``sources``."""
    rows: list | None
    key: str
    reused: bool = False


def add_figures(recid, draft, fingerprint):
    """Draw and store the figures of the verdict on ``fingerprint``; False if there is no such verdict (any more)."""
    workdir = Path(tempfile.mkdtemp(prefix="demos-figures-"))
    try:
        drawing = draw(recid, draft, fingerprint, workdir)
        return drawing is not None and store_figures(recid, draft, fingerprint, drawing)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def draw(recid, draft, fingerprint, workdir):
    """The ``Drawing`` of the verdict on ``fingerprint``; None if none is due or the sandbox died.

    Figures are drawn once per content (``content_cache``): copies of a model reuse the stored
    files of the first. The row lock is not held while the sandbox draws.
    """
    record, _ = verdict_holder(recid, draft)
    state = current(record) if record is not None else {}
    if not figures_due(state, fingerprint):
        db.session.rollback()
        return None
    metadata = engine_metadata(record)
    rows = inline_point_rows(state["report"])
    key = result_key(fingerprint, {"metadata": metadata, "point_rows": rows, "drawn": "figures"})
    known = known_figures(key)
    if known is not None:
        db.session.rollback()
        return Drawing(**known, rows=rows, key=key, reused=True)
    paths = stage_files(record, workdir / "files")
    db.session.rollback()
    check, drawn = draw_figures_for_task(paths, metadata, str(workdir / "plots"), validation_limits(), rows)
    if check is None:
        return None
    figures = figures_of(drawn)
    files = {Path(path).name: path for path in drawn}
    tables = sorted(name for name in files if Path(name).stem == TABLE_STEM and not name.endswith(".png"))
    check.setdefault("details", {})["files"] = sorted(
        Path(path).name for path in check["details"].get("files", [])
    )
    return Drawing(
        check=check,
        figures=figures,
        sources={name: files[name] for name in sorted(figure_keys(figures) | set(tables))},
        tables=tables,
        rows=rows,
        key=key,
    )


def store_figures(recid, draft, fingerprint, drawing):
    """Store the figures on the draft, or on the record it became, if their verdict is still there."""
    record, is_draft = verdict_holder(recid, draft)
    state = current(record) if record is not None else {}
    if not figures_due(state, fingerprint):
        db.session.rollback()
        return False
    report = state["report"]
    write_media_files(record, drawing.sources, set())
    if drawing.rows and drawing.tables:
        point_check(report).setdefault("details", {})["tables"] = drawing.tables
    keys = {figure["key"] for figure in drawing.figures}
    report["plots"] = [
        *(figure for figure in report.get("plots", []) if figure.get("key") not in keys),
        *drawing.figures,
    ]
    report["checks"] = [*report["checks"], drawing.check]
    record["custom_fields"][VALIDATION] = {**state, "report": report}
    save(record, is_draft)
    if not drawing.reused:
        stored = {name: record.media_files[name].object_version.file_id for name in drawing.sources}
        remember_figures(drawing.key, drawing.check, drawing.figures, stored, drawing.tables)
    return True
