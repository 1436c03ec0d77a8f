"""Idempotency keys of submissions: a retried POST returns the first result, never a second model.

A key is stored in the same transaction as the draft it created, so a request whose
answer was lost after the commit (e.g. the search server failed while indexing, a
503) is recognised when the client sends it again with the same key.
"""

from datetime import UTC, datetime, timedelta

from invenio_db import db

KEY_LIFETIME = timedelta(hours=24)


class SubmissionIdempotencyKey(db.Model):
    """One ``Idempotency-Key`` a user sent with a submission, and what it created."""

    __tablename__ = "demos_submission_idempotency_key"

    user_id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(255), primary_key=True)
    request_sha256 = db.Column(db.String(64), nullable=False)
    record_id = db.Column(db.String(64), nullable=False)
    created = db.Column(db.DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC))

    @classmethod
    def find(cls, user_id, key):
        """The key of this user if it is younger than KEY_LIFETIME, else None."""
        entry = db.session.get(cls, (user_id, key))
        if entry is None or entry.created < datetime.now(UTC) - KEY_LIFETIME:
            return None
        return entry

    @classmethod
    def remember(cls, user_id, key, request_sha256, record_id):
        """Store (or renew an expired) key in the current transaction."""
        db.session.merge(
            cls(
                user_id=user_id,
                key=key,
                request_sha256=request_sha256,
                record_id=record_id,
                created=datetime.now(UTC),
            )
        )
