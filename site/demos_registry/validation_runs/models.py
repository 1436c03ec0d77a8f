"""Engine results kept by what they were computed from (see ``content_cache``).

A signal point's row and a validation report depend only on the files, the validated fields,
the options and the engine's versions. Re-validating (a curator's request, a re-queued or
redelivered run, the same files under another record, an import of copies) takes the results
already computed instead of evaluating again; an engine upgrade changes the key, so it
re-evaluates.
"""

from datetime import UTC, datetime

from invenio_db import db
from sqlalchemy.dialects import postgresql


class PointResult(db.Model):
    """The row of one signal point under one content key (see ``content_cache.content_key``)."""

    __tablename__ = "demos_point_result"

    content_key = db.Column(db.String(64), primary_key=True)
    point_index = db.Column(db.Integer, primary_key=True, autoincrement=False)
    row = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)


class ReportResult(db.Model):
    """The engine's report of a validation run under one content key (see ``content_cache.result_key``)."""

    __tablename__ = "demos_report_result"

    content_key = db.Column(db.String(64), primary_key=True)
    report = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)
    created = db.Column(db.DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC))


class FigureResult(db.Model):
    """The figures drawn under one content key: check, figure entries and the ids of their stored files."""

    __tablename__ = "demos_figure_result"

    content_key = db.Column(db.String(64), primary_key=True)
    drawing = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)
    created = db.Column(db.DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC))
