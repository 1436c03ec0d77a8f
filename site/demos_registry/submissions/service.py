"""Create a model, or a new version of one, with its files: all or nothing.

The draft, its files and its review request are written in one unit of work:
a failure leaves nothing behind, and the validation task is queued only once
the whole submission is committed (one task, whatever the number of files).
Used by ``POST /api/models``, ``invenio demos import`` and the demo set-up.
"""

import hashlib
import json

from flask import current_app
from invenio_access.permissions import system_identity
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_db.uow import UnitOfWork
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_rdm_records.proxies import current_rdm_records, current_rdm_records_service
from invenio_rdm_records.records.api import RDMDraft
from invenio_search.engine import dsl
from marshmallow import ValidationError

from ..row_lock import locked_current
from ..validation_runs.api import wait_for_verdict
from ..validation_runs.state import PENDING, RUNNING
from .models import SubmissionIdempotencyKey

COMMUNITY_SLUG = "demos-{domain}"


class ValidationStillRunning(Exception):
    """Publishing was asked for, but the validation outlasted the wait; the draft is kept."""

    def __init__(self, draft_id):
        """Say what to do next."""
        super().__init__(
            f"The validation of draft {draft_id} is still running, so it was not published; the draft "
            f"is kept. Publish it with POST /api/records/{draft_id}/draft/actions/publish once "
            f"GET /api/records/{draft_id}/validation says passed."
        )


def latest_published(model_id):
    """The latest published record (search hit) of a model id, or None."""
    if not model_id:
        return None
    result = current_rdm_records_service.search(
        system_identity,
        extra_filter=dsl.Q("term", **{"custom_fields.demos:model_id": model_id}),
        params={"size": 1, "sort": "newest"},
    )
    hits = list(result.hits)
    return hits[0] if hits else None


def refuse_invalid(draft):
    """Raise the draft's field errors (Invenio saves drafts despite them) as a 400."""
    errors = [error for error in draft.errors or [] if not error["field"].startswith("files")]
    if errors:
        raise ValidationError({error["field"]: error["messages"] for error in errors})


def upload_files(identity, draft_id, uploads, uow):
    """Store the spooled uploads as the draft's files."""
    files = current_rdm_records_service.draft_files
    files.init_files(identity, draft_id, [{"key": upload.key} for upload in uploads], uow=uow)
    for upload in uploads:
        with open(upload.path, "rb") as stream:
            files.set_file_content(identity, draft_id, upload.key, stream, uow=uow)
        files.commit_file(identity, draft_id, upload.key, uow=uow)


def domain_community(domain):
    """The community of a domain (``demos-<domain>``)."""
    if not domain:
        raise ValidationError({"domain": ["Missing data for required field."]})
    slug = COMMUNITY_SLUG.format(domain=domain)
    try:
        return current_communities.service.read(system_identity, slug)
    except PIDDoesNotExistError as error:
        raise ValidationError(
            {
                "domain": [
                    (
                        f"The domain {domain!r} has no community ({slug}) to review its models; "
                        "an administrator creates it with 'invenio demos setup'."
                    )
                ]
            }
        ) from error


def domain_of(record):
    """The domain vocabulary id of a record's data."""
    return record.get("custom_fields", {}).get("demos:domain", {}).get("id")


def submit_for_review(identity, draft, uow, message):
    """Request the inclusion of a draft in its domain's community (curators review it)."""
    community = domain_community(domain_of(draft))
    review = current_rdm_records_service.review
    review.update(
        identity,
        draft["id"],
        {"receiver": {"community": str(community.id)}, "type": "community-submission"},
        uow=uow,
    )
    request = review.submit(
        identity,
        draft["id"],
        {"payload": {"content": message, "format": "html"}},
        require_review=True,
        uow=uow,
    )
    return request.id


def include_in_domain_community(identity, record):
    """Add a published record to its domain's community (a request, unless the identity may add it directly)."""
    community = domain_community(domain_of(record))
    result = current_rdm_records.record_communities_service.add(
        identity, record["id"], {"communities": [{"id": str(community.id)}]}
    )
    processed = result[0] if isinstance(result, tuple) else result
    return next((item.get("request_id") for item in processed or [] if item.get("request_id")), None)


class IdempotencyKeyReused(Exception):
    """An Idempotency-Key sent again with a different request."""

    def __init__(self, key):
        """Say what to do."""
        super().__init__(
            f"The Idempotency-Key {key!r} was used within the last 24 hours for a different request "
            "(other metadata or files); send a new key for a new submission."
        )


class Idempotency:
    """A submission's ``Idempotency-Key``: the user's key and a fingerprint of the request."""

    def __init__(self, user_id, key, payload, uploads, publish):
        """Fingerprint the metadata, the files (name and SHA-256) and the publish flag."""
        self.user_id, self.key = int(user_id), key
        request = [payload, sorted((upload.key, upload.sha256) for upload in uploads), bool(publish)]
        self.request_sha256 = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()

    def earlier_record_id(self):
        """The record an earlier request with this key created, or None; refuses a different request."""
        entry = SubmissionIdempotencyKey.find(self.user_id, self.key)
        if entry is None:
            return None
        if entry.request_sha256 != self.request_sha256:
            raise IdempotencyKeyReused(self.key)
        return entry.record_id

    def remember(self, record_id):
        """Store the key with the record it created, in the current transaction."""
        SubmissionIdempotencyKey.remember(self.user_id, self.key, self.request_sha256, record_id)


def create_draft(identity, data, uploads, review_message=None, idempotency=None):
    """The draft of a new model, or of a new version of the model its model id names, with its files.

    With ``review_message`` the draft is also submitted to its domain's community;
    with ``idempotency`` its key is stored in the same transaction.
    Returns (draft dict, request id).
    """
    service = current_rdm_records_service
    existing = latest_published(data.get("custom_fields", {}).get("demos:model_id"))
    with UnitOfWork(db.session) as uow:
        if existing:
            draft = service.new_version(identity, existing["id"], uow=uow)
            draft = service.update_draft(identity, draft.id, data, uow=uow)
        else:
            draft = service.create(identity, data, uow=uow)
        refuse_invalid(draft)
        upload_files(identity, draft.id, uploads, uow)
        request_id = (
            submit_for_review(identity, draft.to_dict(), uow, review_message) if review_message else None
        )
        if idempotency is not None:
            idempotency.remember(draft.id)
        uow.commit()
    return draft.id, request_id


def submit(
    identity,
    data,
    uploads,
    publish=False,
    review_message="Submitted through the DEMOS models API.",
    idempotency=None,
):
    """Create the model with its files and submit it for review, or publish it.

    Publishing waits (bounded) for the validation verdict; a publication that is
    refused deletes the draft, so nothing half-made stays. Returns (record dict, request id).
    """
    draft_id, request_id = create_draft(
        identity, data, uploads, None if publish else review_message, idempotency
    )
    if not publish:
        return current_rdm_records_service.read_draft(identity, draft_id).to_dict(), request_id
    return publish_when_judged(identity, draft_id, current_app.config["DEMOS_MODELS_API_PUBLISH_WAIT"])


def publish_when_judged(identity, draft_id, wait):
    """Publish a draft once its validation has a verdict (waiting at most ``wait`` seconds).

    A publication that is refused (a failed verdict, a missing field) deletes the draft, so
    nothing half-made stays. Returns (record dict, request id of the community inclusion).
    """
    if wait_for_verdict(draft_id, wait) in (PENDING, RUNNING):
        raise ValidationStillRunning(draft_id)
    try:
        record = current_rdm_records_service.publish(identity, draft_id).to_dict()
    except Exception:
        db.session.rollback()
        # The figures task may have written the draft since this session loaded it: delete the
        # row as committed now, locked, or the delete fails on a stale version.
        locked_current(RDMDraft.pid.resolve(draft_id, registered_only=False))
        current_rdm_records_service.delete_draft(system_identity, draft_id)
        raise
    return record, include_in_domain_community(identity, record)
