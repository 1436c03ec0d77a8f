"""Evaluated signal points, kept by what they were computed from.

A signal point's row depends only on the files, the validated fields and the engine's
versions. Re-validating a patchset (a curator's request, a re-queued or redelivered run,
the same files under another record) takes the rows already computed instead of
evaluating hundreds of points again; an engine upgrade changes the key, so it re-evaluates.
"""

from invenio_db import db
from sqlalchemy.dialects import postgresql


class PointResult(db.Model):
    """The row of one signal point under one content key (see ``point_cache.content_key``)."""

    __tablename__ = "demos_point_result"

    content_key = db.Column(db.String(64), primary_key=True)
    point_index = db.Column(db.Integer, primary_key=True, autoincrement=False)
    row = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)
