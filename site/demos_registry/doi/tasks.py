"""Celery tasks: re-attempt DOI registrations and updates DataCite has not confirmed.

Two sources, so that nothing is silently lost:

- the PID store: a DataCite DOI of a published record that is still *reserved* was
  never accepted (DataCite down or refusing, or the worker died before trying);
- the records: ``demos:doi_registration`` says ``pending`` (e.g. a metadata update
  of a registered DOI failed).

``retry_pending_doi_registrations`` runs periodically (``CELERY_BEAT_SCHEDULE``) and
re-queues Invenio's own ``register_or_update_pid`` for each one whose back-off
(``registration.retry_delay``) has elapsed. A DOI whose entry says ``rejected``
(DataCite refused its metadata) is left out of both: the same metadata would be
refused again. Publishing the record again or ``invenio demos doi retry`` tries it.
"""

from celery import shared_task
from flask import current_app
from invenio_pidstore.models import PersistentIdentifier, PIDStatus
from invenio_rdm_records.records.api import RDMParent, RDMRecord
from invenio_rdm_records.services.pids.tasks import register_or_update_pid
from sqlalchemy import func

from .registration import (
    DOI_REGISTRATION,
    PENDING,
    REJECTED,
    entry_key,
    is_due,
    registration_entry,
)


def _public_record(model):
    """The record of a database row, if it is published, public and not deleted."""
    record = RDMRecord(model.data, model=model)
    if record.deletion_status.is_deleted or record.get("access", {}).get("record") != "public":
        return None
    return record


def reserved_dois():
    """(record, parent?) of every reserved DataCite DOI of a published record."""
    model = RDMRecord.model_cls
    reserved = PersistentIdentifier.query.filter_by(
        pid_type="doi", pid_provider="datacite", status=PIDStatus.RESERVED, object_type="rec"
    )
    for pid in reserved:
        published = model.query.filter_by(id=pid.object_uuid).one_or_none()
        parent = published is None
        if parent:
            if RDMParent.model_cls.query.filter_by(id=pid.object_uuid).one_or_none() is None:
                continue  # a draft's reserved DOI: registered when the draft is published
            published = model.query.filter_by(parent_id=pid.object_uuid).order_by(model.index.desc()).first()
        record = _public_record(published) if published is not None else None
        if record is not None:
            yield record, parent


def entries_with_status(status):
    """(record, parent?) of every public record whose registration entry has this status."""
    model = RDMRecord.model_cls
    for parent in (False, True):
        stored_status = func.jsonb_extract_path_text(
            model.json, "custom_fields", DOI_REGISTRATION, entry_key(parent), "status"
        )
        for row in model.query.filter(stored_status == status):
            record = _public_record(row)
            if record is not None and (not parent or record.versions.is_latest):
                yield record, parent


def pending_registrations():
    """Every DOI waiting for DataCite, once; rejected ones are not waiting."""
    seen = set()
    for record, parent in (*reserved_dois(), *entries_with_status(PENDING)):
        if (record.id, parent) in seen or registration_entry(record, parent).get("status") == REJECTED:
            continue
        seen.add((record.id, parent))
        yield record, parent


@shared_task(ignore_result=True)
def retry_pending_doi_registrations():
    """Queue a registration for each pending DOI whose back-off has elapsed."""
    queued = 0
    for record, parent in pending_registrations():
        if is_due(registration_entry(record, parent)):
            register_or_update_pid.delay(record.pid.pid_value, "doi", parent=parent)
            queued += 1
    if queued:
        current_app.logger.info("Re-queued %d pending DOI registrations", queued)
    return queued
