"""Check configurations of the domain communities, and check runs that follow the verdict.

invenio-checks runs a check when a draft is submitted to a community, edited or
published. The DEMOS verdict arrives later, from the validation task, and changes
again on re-validation or a curator's override, all written straight to the
record (validation_runs/api.py). So that the request page never shows a stale
verdict, every flush that writes a draft or record with DEMOS check runs brings
those runs up to date in the same transaction.
"""

from datetime import UTC, datetime

from invenio_checks.models import CheckConfig, CheckRun, Severity
from invenio_db import db
from invenio_rdm_records.records.models import RDMDraftMetadata, RDMRecordMetadata
from sqlalchemy import event

from ..validation_runs.state import current
from .check import DEMOS_CHECK_ID, verdict_result


def ensure_validation_check(community_id, severity=Severity.INFO):
    """Configure the DEMOS check for a community unless it is configured; True if created."""
    exists = CheckConfig.query.filter_by(community_id=community_id, check_id=DEMOS_CHECK_ID).first()
    if exists:
        return False
    db.session.add(
        CheckConfig(
            community_id=community_id,
            check_id=DEMOS_CHECK_ID,
            params={},
            severity=severity,
        )
    )
    db.session.commit()
    return True


def refresh_verdict_runs(session, flush_context=None, instances=None):
    """Before a flush: re-run the DEMOS check runs of the drafts and records being written."""
    written = {
        (model.id, isinstance(model, RDMDraftMetadata)): model
        for model in (*session.new, *session.dirty)
        if isinstance(model, (RDMDraftMetadata, RDMRecordMetadata)) and model.json is not None
    }
    if not written:
        return
    runs = (
        CheckRun.query.join(CheckConfig)
        .filter(
            CheckConfig.check_id == DEMOS_CHECK_ID,
            CheckRun.record_id.in_({record_id for record_id, _ in written}),
        )
        .all()
    )
    for run in runs:
        model = written.get((run.record_id, run.is_draft))
        if model is None:
            continue
        result = verdict_result(current(model.json), run.config.severity.error_value)
        if result != run.result:
            run.result = result
            run.end_time = datetime.now(UTC)


def follow_verdicts():
    """Listen to the session's flushes (once per process, however many apps are created)."""
    if not event.contains(db.session, "before_flush", refresh_verdict_runs):
        event.listen(db.session, "before_flush", refresh_verdict_runs)
