"""Rows of signal points computed once per content (files, validated fields, engine versions)."""

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version

from invenio_db import db
from sqlalchemy.dialects.postgresql import insert

from .models import PointResult

ENGINE_PACKAGES = ("demos-registry", "pyhf", "numpy", "scipy")
"""What a point's numbers depend on besides the inputs: the registry's engine and its numerics."""


def engine_versions():
    """The installed versions of the engine's packages (one per name; missing ones as None)."""
    versions = {}
    for name in ENGINE_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def content_key(fingerprint):
    """The key of a record's point rows: its inputs fingerprint and the engine versions."""
    payload = json.dumps({"inputs": fingerprint, "engine": engine_versions()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


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
