"""Who may re-validate and override, and how: the decisions users make on a verdict.

Re-validation may be asked by the record's owners, curators of its communities
and administrators; an override (publishing despite a failed or needs-review
verdict) only by curators and administrators, with a written reason. Both are
recorded in the decision trail of ``demos:validation``.
"""

from invenio_access.permissions import system_identity
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_rdm_records.proxies import current_rdm_records_service
from sqlalchemy.exc import NoResultFound

from .api import load, save
from .state import (
    FAILED,
    NEEDS_REVIEW,
    OVERRIDDEN,
    PENDING,
    current,
    transition,
    user_actor,
)
from .tasks import validate_model

MINIMUM_REASON_LENGTH = 10


class ValidationActionError(ValueError):
    """A request on a verdict that cannot be honoured; the message says why."""


def resolve(recid):
    """The draft of an id if there is one, else its published record; (record, is_draft)."""
    try:
        return load(recid, True), True
    except (PIDDoesNotExistError, NoResultFound):
        return load(recid, False), False


def revalidate(identity, recid):
    """Queue a new validation of the draft (or record); returns its pending state."""
    record, draft = resolve(recid)
    current_rdm_records_service.require_permission(identity, "revalidate", record=record)
    actor = {"type": "system", "id": "revalidation"} if identity == system_identity else user_actor(identity)
    state = transition(record, PENDING, actor, "re-validation requested")
    save(record, draft)
    validate_model.delay(recid, draft)
    return state


def override(identity, recid, reason):
    """Record a curator's decision to accept a failed or needs-review model."""
    record, draft = resolve(recid)
    current_rdm_records_service.require_permission(identity, "override_validation", record=record)
    reason = (reason or "").strip()
    if len(reason) < MINIMUM_REASON_LENGTH:
        raise ValidationActionError(
            f"reason: write why the verdict is overridden (at least {MINIMUM_REASON_LENGTH} characters)"
        )
    status = current(record).get("status")
    if status not in (FAILED, NEEDS_REVIEW):
        raise ValidationActionError(
            f"status: only a failed or needs_review verdict can be overridden, not {status!r}"
        )
    state = transition(record, OVERRIDDEN, user_actor(identity, "curator"), reason, overridden=True)
    save(record, draft)
    return state


def read_state(identity, recid):
    """The validation state of a record the identity may read."""
    try:
        item = current_rdm_records_service.read_draft(identity, recid)
    except (PIDDoesNotExistError, NoResultFound):
        item = current_rdm_records_service.read(identity, recid)
    return item.to_dict().get("custom_fields", {}).get("demos:validation", {})
