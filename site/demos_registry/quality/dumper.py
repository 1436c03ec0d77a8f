"""The quality score in the search index, computed whenever a record is indexed.

Why a search dumper extension (the way Invenio indexes derived values, like its EDTF date
ranges) rather than a service component storing the score: the score depends on the
validation verdict, which the validation tasks write straight onto the record and reindex,
outside any service call. Every indexing of a model, whoever triggers it, goes through the
record's dumper, so the indexed score is never older than the indexed record. The stored
record stays without it (nothing to migrate, nothing a user could send).

The document gets ``custom_fields.demos:quality`` ({score, missing, licence}); ``custom_fields``
is mapped dynamically by InvenioRDM, so ``score`` is a number to filter and sort on.
"""

from invenio_records.dumpers import SearchDumperExt

from ..custom_fields.config import MODEL_RESOURCE_TYPE
from ..search.dumpers import add_to_record_dumpers
from .score import index_fields, quality

QUALITY_FIELD = "demos:quality"
SCORE_FIELD = f"custom_fields.{QUALITY_FIELD}.score"
"""The indexed score, to filter (``range``) and sort on."""


class QualityDumperExt(SearchDumperExt):
    """Adds the quality of a model to its search document; drops it when a record is loaded from one."""

    def dump(self, record, data):
        """Score the dumped data (relations already expanded by the dumpers before this one)."""
        if (data.get("metadata") or {}).get("resource_type", {}).get("id") != MODEL_RESOURCE_TYPE:
            return
        data.setdefault("custom_fields", {})[QUALITY_FIELD] = index_fields(quality(data))

    def load(self, data, record_cls):
        """A record loaded from the index has no quality: it is not part of the record."""
        data.get("custom_fields", {}).pop(QUALITY_FIELD, None)


def register_quality_dumper():
    """Add the extension to the dumpers of published records and drafts, once per process."""
    add_to_record_dumpers(QualityDumperExt)
