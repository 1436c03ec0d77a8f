"""Read-modify-writes of a record's JSON that take turns instead of failing.

The validation task, the DOI registration tasks and web requests (uploads, edits,
publishing) each rewrite a record's whole JSON under SQLAlchemy's version check
(``RecordMetadataBase.version_id``). Whoever commits second with a copy loaded
before the first commit fails with a stale version. Each of them therefore
re-reads the row ``SELECT ... FOR UPDATE`` before it writes.
"""

from invenio_db import db


def locked_current(record):
    """The record as committed now, its row locked until the transaction ends.

    Refreshes the session's model of the row (``populate_existing``), so that the
    commit that follows updates the row's current ``version_id``.
    """
    model = (
        db.session.query(record.model_cls).filter_by(id=record.id).with_for_update().populate_existing().one()
    )
    return type(record)(model.data, model=model)
