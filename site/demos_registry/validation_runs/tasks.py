"""Celery tasks of model validation: run it out of the web process, never lose it.

``validate_model`` is acknowledged late and rejected on worker loss, so a killed
worker's validation is delivered again; any other failure is retried with
back-off and, when the retries are spent, ends as *failed* with the reason. A
periodic sweep re-queues validations left pending or running for too long (e.g.
queued while the broker was down), so none stays stuck.
"""

from datetime import UTC, datetime, timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from invenio_db import db
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_rdm_records.records.api import RDMDraft, RDMRecord
from invenio_records_resources.services.uow import TaskOp
from sqlalchemy.exc import NoResultFound

from .api import fail_validation, load, run_validation, save
from .state import PENDING, RUNNING, current, system_actor, transition

MAX_RETRIES = 3
SANDBOXED_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_RETRIES,
    "soft_time_limit": 900,
    "time_limit": 960,
}
"""Tasks that run the engine's sandbox: a killed worker's message is delivered again, retried, time-limited."""


@shared_task(**SANDBOXED_TASK_OPTIONS)
def validate_model(self, recid, draft=True):
    """Validate the model files of a draft (or published record) and store the verdict.

    A draft that no longer exists (deleted, or published meanwhile: publishing
    validated it already) has nothing to validate; that is not a failure to retry.
    """
    try:
        run_validation(recid, draft)
    except (PIDDoesNotExistError, NoResultFound):
        db.session.rollback()
        current_app.logger.info(
            "validation of %s skipped: the %s no longer exists", recid, "draft" if draft else "record"
        )
    except SoftTimeLimitExceeded:
        fail_validation(recid, draft, "validation exceeded its time limit of 15 minutes")
    except Exception as error:
        # A failed statement leaves the session unusable: the next attempt (or the failed
        # verdict) needs a fresh transaction, also when the task runs eagerly in a request.
        db.session.rollback()
        current_app.logger.warning(
            "validation of %s failed (attempt %d): %r", recid, self.request.retries + 1, error
        )
        if self.request.retries < MAX_RETRIES:
            raise self.retry(exc=error, countdown=2 ** (self.request.retries + 1)) from error
        current_app.logger.exception("validation of %s failed to run", recid)
        fail_validation(recid, draft, f"validation could not run: {error}")


class ValidationTaskOp(TaskOp):
    """The validation task of one record, queued after the unit of work commits."""

    def __init__(self, recid, draft):
        """Validate ``recid`` (a draft or a published record)."""
        super().__init__(validate_model, recid, draft)
        self.recid = recid


def request_validation(record, actor, reason, uow, draft=True):
    """Mark the record pending and queue the task once the transaction commits.

    Several changes in one unit of work (a model sent as several files) queue one
    validation: it runs after the commit and sees all of them. A rolled-back unit
    of work queues none.
    """
    transition(record, PENDING, actor, reason)
    recid = str(record.pid.pid_value)
    # invenio-db's UnitOfWork has no public list of its operations.
    if not any(isinstance(op, ValidationTaskOp) and op.recid == recid for op in uow._operations):
        uow.register(ValidationTaskOp(recid, draft))


SWEEPER = system_actor("stale-validation sweep")
MAX_SWEEP_BACKOFF = timedelta(hours=24)


def stale_validations(older_than, page_size):
    """{recid: is_draft} of every draft and record pending/running since before older_than.

    Read from the database, page by page: the search's draft listing shows a user's own
    drafts only (none to the system), and the sweep must work while search is down.
    Timestamps are compared as the ISO text ``state.now()`` writes (UTC, one format).
    """
    found = {}
    for record_cls, is_draft in ((RDMDraft, True), (RDMRecord, False)):
        model = record_cls.model_cls
        status = model.json[("custom_fields", "demos:validation", "status")].as_string()
        updated = model.json[("custom_fields", "demos:validation", "updated")].as_string()
        query = (
            db.session.query(model.json["id"].as_string())
            .filter(status.in_([PENDING, RUNNING]), updated < older_than.isoformat())
            .execution_options(yield_per=page_size)
        )
        for (recid,) in query:
            found.setdefault(recid, is_draft)
    return found


def sweeps_since_progress(state):
    """How many times the sweep re-queued this validation since anything else happened to it."""
    count = 0
    for entry in reversed(state.get("history", [])):
        if entry.get("actor") != SWEEPER:
            break
        count += 1
    return count


def requeue_if_due(recid, draft, stale_after, now):
    """Re-queue one stale validation unless its back-off (doubling per re-queue) has not passed.

    The re-queue is written to the decision trail, so a validation that no worker takes
    is visible, and waits 2×, 4×, ... (at most a day) before the next one.
    """
    record = load(recid, draft)
    state = current(record)
    sweeps = sweeps_since_progress(state)
    due = datetime.fromisoformat(state.get("updated")) + min(stale_after * 2**sweeps, MAX_SWEEP_BACKOFF)
    if state.get("status") not in (PENDING, RUNNING) or due > now:
        db.session.rollback()
        return False
    transition(
        record,
        PENDING,
        SWEEPER,
        f"no verdict since {state.get('updated')}: queued again (re-queue {sweeps + 1})",
    )
    save(record, draft)
    validate_model.delay(recid, draft)
    return True


def sweep_stale_validations(stale_after, page_size, now=None):
    """Queue again the validations that have not moved for ``stale_after`` (and are due); returns how many.

    ``now`` is the sweep's clock (the current time unless given): the back-off is judged
    against it, so a test can step through hours of back-off without waiting for them.
    """
    now = now or datetime.now(UTC)
    requeued = 0
    for recid, draft in stale_validations(now - stale_after, page_size).items():
        try:
            requeued += requeue_if_due(recid, draft, stale_after, now)
        except (PIDDoesNotExistError, NoResultFound):
            db.session.rollback()
    return requeued


@shared_task(ignore_result=True)
def requeue_stale_validations():
    """The beat task: sweep with DEMOS_VALIDATION_STALE_AFTER and DEMOS_VALIDATION_SWEEP_PAGE_SIZE."""
    config = current_app.config
    return sweep_stale_validations(
        config["DEMOS_VALIDATION_STALE_AFTER"], config["DEMOS_VALIDATION_SWEEP_PAGE_SIZE"]
    )
