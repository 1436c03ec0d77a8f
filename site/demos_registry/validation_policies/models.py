"""The versions of each community's validation policy: rows are only ever inserted."""

from invenio_communities.communities.records.models import CommunityMetadata
from invenio_db import db
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy_utils.types import UUIDType


class ValidationPolicyVersion(db.Model):
    """One version of a community's policy: its settings, who made it, when and why.

    ``restored_from`` names the version it copies when it was made by a restore.
    ``created_by`` is a user id kept as written (no foreign key: deleting an account must
    not rewrite the history of a policy).
    """

    __tablename__ = "demos_validation_policy"

    community_id = db.Column(
        UUIDType, db.ForeignKey(CommunityMetadata.id, ondelete="CASCADE"), primary_key=True
    )
    version = db.Column(db.Integer, primary_key=True, autoincrement=False)
    settings = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)
    created = db.Column(db.UTCDateTime, nullable=False)
    created_by = db.Column(db.Integer, nullable=True)
    reason = db.Column(db.Text, nullable=False)
    restored_from = db.Column(db.Integer, nullable=True)


class PolicyVersionsAreAppendOnly(RuntimeError):
    """A version of a policy was about to be changed or deleted."""


def refuse_change(mapper, connection, target):
    """``before_update`` / ``before_delete``: a policy version is never rewritten."""
    raise PolicyVersionsAreAppendOnly(
        f"version {target.version} of a validation policy cannot be changed: make a new version"
    )


for _name in ("before_update", "before_delete"):
    if not event.contains(ValidationPolicyVersion, _name, refuse_change):
        event.listen(ValidationPolicyVersion, _name, refuse_change)
