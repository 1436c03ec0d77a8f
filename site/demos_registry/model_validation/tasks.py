"""Celery tasks of model validation: run it out of the web process, never lose it.

``validate_model`` is acknowledged late and rejected on worker loss, so a killed
worker's validation is delivered again; any other failure is retried with
back-off and, when the retries are spent, ends as *failed* with the reason. A
periodic sweep re-queues validations left pending or running for too long (e.g.
queued while the broker was down), so none stays stuck.
"""

from datetime import datetime, timezone

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from invenio_access.permissions import system_identity
from invenio_db import db
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_records_resources.services.uow import TaskOp
from invenio_search.engine import dsl

from .api import fail_validation, run_validation
from .state import PENDING, RUNNING, transition

MAX_RETRIES = 3


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=900,
    time_limit=960,
)
def validate_model(self, recid, draft=True):
    """Validate the model files of a draft (or published record) and store the verdict."""
    try:
        run_validation(recid, draft)
    except SoftTimeLimitExceeded:
        fail_validation(recid, draft, "validation exceeded its time limit of 15 minutes")
    except Exception as error:
        # A failed statement leaves the session unusable: the next attempt (or the failed
        # verdict) needs a fresh transaction, also when the task runs eagerly in a request.
        db.session.rollback()
        current_app.logger.warning("validation of %s failed (attempt %d): %r", recid, self.request.retries + 1, error)
        if self.request.retries < MAX_RETRIES:
            raise self.retry(exc=error, countdown=2 ** (self.request.retries + 1))
        current_app.logger.exception("validation of %s failed to run", recid)
        fail_validation(recid, draft, f"validation could not run: {error}")


def request_validation(record, actor, reason, uow, draft=True):
    """Mark the record pending and queue the task once the transaction commits."""
    transition(record, PENDING, actor, reason)
    uow.register(TaskOp(validate_model, str(record.pid.pid_value), draft))


def stale_validations(older_than):
    """(recid, is_draft) of drafts and records pending/running since before older_than."""
    stale = dsl.Q("terms", **{"custom_fields.demos:validation.status": [PENDING, RUNNING]}) & dsl.Q(
        "range", **{"custom_fields.demos:validation.updated": {"lt": older_than.isoformat()}}
    )
    for hit in current_rdm_records_service.search_drafts(
        system_identity, extra_filter=stale, params={"size": 100}
    ).hits:
        yield hit["id"], hit.get("is_draft", True)
    for hit in current_rdm_records_service.search(
        system_identity, extra_filter=stale, params={"size": 100}
    ).hits:
        yield hit["id"], False


@shared_task(ignore_result=True)
def requeue_stale_validations():
    """Queue again the validations that have not moved for DEMOS_VALIDATION_STALE_AFTER."""
    older_than = datetime.now(timezone.utc) - current_app.config["DEMOS_VALIDATION_STALE_AFTER"]
    for recid, draft in set(stale_validations(older_than)):
        validate_model.delay(recid, draft)
