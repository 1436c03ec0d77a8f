"""The validation verdict in the search index: its summary, not the report.

A record stores its whole ``demos:validation``: the report with every check's details and
the decision trail, ~10 KB of a model's ~19 KB. Search, facets, sorting and the badges of a
result list need only the summary (status, when, engines, inputs fingerprint, policy, how
many checks passed or failed). The indexed copy of the report was deep-copied, dumped and
sent with every hit of every search (a page of the search UI was 287 KB) and of every OAI-PMH
page, and made every index write heavier. So the search document keeps the summary:

- ``report`` and ``history`` are left out; ``checks`` counts the report's checks by status;
- the landing page, ``/api/records/{id}``, ``/api/models/{id}/validation`` and the curator's
  tab read the record itself (database), report and trail included;
- a record loaded from a search hit therefore has the summary only: search results are for
  listing, never written back (Invenio reads the database before every write).

Documents indexed before this keep the report until they are indexed again
(``invenio demos setup`` refills an empty index; ``invenio rdm rebuild-index`` any other).
"""

from collections import Counter

from invenio_records.dumpers import SearchDumperExt

from ..search.dumpers import add_to_record_dumpers
from .state import VALIDATION

LEFT_OUT = ("report", "history")
"""What only the record holds: the full report and the decision trail."""


def index_summary(validation):
    """The indexed form of a ``demos:validation`` value: everything but the report and trail."""
    summary = {key: value for key, value in validation.items() if key not in LEFT_OUT}
    checks = (validation.get("report") or {}).get("checks") or []
    if checks:
        summary["checks"] = dict(Counter(check.get("status") or "unknown" for check in checks))
    return summary


class ValidationSummaryDumperExt(SearchDumperExt):
    """Indexes the summary of a record's validation instead of the whole of it."""

    def dump(self, record, data):
        """Replace the dumped validation by its summary."""
        validation = (data.get("custom_fields") or {}).get(VALIDATION)
        if validation:
            data["custom_fields"][VALIDATION] = index_summary(validation)

    def load(self, data, record_cls):
        """Nothing to undo: a record loaded from a hit has the summary (see the module)."""


def register_validation_summary_dumper():
    """Add the extension to the dumpers of published records and drafts, once per process."""
    add_to_record_dumpers(ValidationSummaryDumperExt)
