"""Indexing a record that another process writes at the same time.

Invenio indexes a record after the database commit, with the revision it loaded, and the
search engine refuses a revision older than the one it holds (``external_gte``). A
published record is written by the registry's own tasks (its figures, its DOI's state)
while a request of Invenio's writes its parent (the domain community's inclusion, which
indexes the revision that request loaded earlier). Whichever finishes second got a version
conflict after its commit: a failed import or a 500 with everything saved.

On such a conflict the indexer reads the record as committed now (revision and parent) and
indexes that: the search engine ends with the newest state, whichever writer came last.
It is set on every RDM records service's config in one place (``use_latest_state_indexer``,
an ``invenio_base.finalize_app`` hook): Invenio offers no configuration variable for it.
"""

from invenio_db import db
from invenio_indexer.api import RecordIndexer
from invenio_search.engine import search

ATTEMPTS = 3
"""Reads of the committed state before a conflict is reported (each needs a newer commit to lose)."""


def latest_committed(record):
    """The record (draft or published) and its parent as the database holds them now."""
    db.session.flush()
    db.session.expire_all()
    return type(record).get_record(record.id, with_deleted=True)


class LatestStateIndexer(RecordIndexer):
    """A record indexer that indexes the committed state when the index holds a newer revision."""

    def index(self, record, arguments=None, **kwargs):
        """Index ``record``; after a version conflict, its latest committed state."""
        for _ in range(ATTEMPTS):
            try:
                return super().index(record, arguments, **kwargs)
            except search.exceptions.ConflictError:
                record = latest_committed(record)
        return super().index(record, arguments, **kwargs)


def use_latest_state_indexer(app):
    """finalize_app hook: the RDM services that index records and drafts use ``LatestStateIndexer``."""
    extension = app.extensions["invenio-rdm-records"]
    services = (
        extension.records_service,
        extension.records_media_files_service,
        extension.record_communities_service,
        extension.community_records_service,
    )
    for service in services:
        service.config.indexer_cls = LatestStateIndexer
        if hasattr(service.config, "draft_indexer_cls"):
            service.config.draft_indexer_cls = LatestStateIndexer
