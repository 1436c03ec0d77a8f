"""Engine results computed once per content: signal-point rows and whole validation reports.

The key is what the result was computed from — the files (by SHA-256), the validated fields,
the options the engine got, and the versions of the engine's packages — so reusing a result
gives exactly what running the engine again would have given.
"""

import functools
import hashlib
import json
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from invenio_db import db
from invenio_files_rest.models import FileInstance
from sqlalchemy.dialects.postgresql import insert

from .. import validation_engine
from ..validation_engine.api import WORKER_FAILURE
from .models import FigureResult, PointResult, ReportResult

ENGINE_PACKAGES = ("demos-registry", "pyhf", "pyhs3", "numpy", "scipy")
"""What the engine's results depend on besides the inputs: the registry's engine and its numerics."""


@functools.cache
def engine_source_digest():
    """SHA-256 of the engine's source: a changed check is a new key, released or not."""
    package = Path(validation_engine.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def engine_versions():
    """The installed versions of the engine's packages (missing ones as None) and its source digest."""
    versions = {"engine_source": engine_source_digest()}
    for name in ENGINE_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def digest(payload):
    """A content key: the SHA-256 of a JSON payload, its keys sorted."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def content_key(fingerprint):
    """The key of a record's point rows: its inputs fingerprint and the engine versions."""
    return digest({"inputs": fingerprint, "engine": engine_versions()})


def known_rows(key, indices):
    """{point index: row} of the points already evaluated under this key."""
    query = PointResult.query.filter(PointResult.content_key == key, PointResult.point_index.in_(indices))
    return {result.point_index: result.row for result in query}


def remember_rows(key, rows):
    """Keep the rows of points the engine evaluated (not those it could not: they are tried again)."""
    evaluated = [row for row in rows if row.get("name") is not None]
    if not evaluated:
        return
    statement = insert(PointResult).values(
        [{"content_key": key, "point_index": row["index"], "row": row} for row in evaluated]
    )
    db.session.execute(statement.on_conflict_do_nothing())
    db.session.commit()


def result_key(fingerprint, engine_arguments):
    """The key of a report or a drawing: its inputs fingerprint, the engine's arguments and versions.

    ``engine_arguments`` are the metadata, limits and options the engine is called with (the
    policy's tolerances are in the metadata, so a new policy version is a new key).
    """
    return digest({"inputs": fingerprint, "arguments": engine_arguments, "engine": engine_versions()})


def known_report(key):
    """(report, when it was computed) of an earlier run under this key, or None."""
    result = db.session.get(ReportResult, key)
    return None if result is None else (result.report, result.created)


def remember_report(key, report):
    """Keep a report the engine finished (a run it could not finish, e.g. out of time, is tried again)."""
    stopped = any(WORKER_FAILURE in (check.get("details") or {}) for check in report.get("checks", []))
    if report.get("error") or stopped:
        return
    statement = insert(ReportResult).values(content_key=key, report=report)
    db.session.execute(statement.on_conflict_do_nothing())
    db.session.commit()


def known_figures(key):
    """The drawing stored under this key (check, figures, sources, tables), if all its files still exist."""
    result = db.session.get(FigureResult, key)
    if result is None:
        return None
    sources = {name: uuid.UUID(file_id) for name, file_id in result.drawing["sources"].items()}
    ids = set(sources.values())
    readable = FileInstance.query.filter(FileInstance.id.in_(ids), FileInstance.readable.is_(True)).count()
    return {**result.drawing, "sources": sources} if readable == len(ids) else None


def remember_figures(key, check, figures, stored_files, tables):
    """Keep a drawing: its check and figure entries, and the ids of the stored files (shared, never copied)."""
    drawing = {
        "check": check,
        "figures": figures,
        "sources": {name: str(file_id) for name, file_id in stored_files.items()},
        "tables": tables,
    }
    statement = insert(FigureResult).values(content_key=key, drawing=drawing)
    db.session.execute(
        statement.on_conflict_do_update(index_elements=["content_key"], set_={"drawing": drawing})
    )
    db.session.commit()
