"""The DOI registration state of a record, visible in its JSON.

``custom_fields["demos:doi_registration"]`` holds one entry per DOI of the record:
``version`` (the record's own DOI) and ``concept`` (the parent's concept DOI)::

    {"doi": "10.80000/abcd-1234", "status": "pending", "attempts": 2,
     "last_attempt": "2026-11-23T17:00:00+00:00", "message": "DataCite could not be reached: ..."}

``status`` is one of:

- ``pending``: DataCite has not confirmed the DOI (it was down, timed out or answered
  5xx); the PID stays reserved (or, for a missed metadata update, registered) and the
  retry task keeps trying with back-off;
- ``rejected``: DataCite refused the metadata (HTTP 422, e.g. a coordinate out of
  range). Sending the same metadata again cannot succeed, so the retry task leaves it
  alone; the next publication of the record (an edit) tries again, and so does an
  administrator's ``invenio demos doi retry <record id>`` (doi/cli.py). The entry
  keeps DataCite's reasons, its JSON:API errors, as
  ``"errors": [{"source": "geoLocations/0/...", "title": "..."}]``
  (stored and returned by the API, not indexed: the field's mapping is not dynamic);
- ``registered``: DataCite confirmed it.

Only the registry writes the field (it belongs in the custom fields' ``SYSTEM_FIELDS``).

Why attempts are written under a row lock: publishing queues two Celery tasks at
once, Invenio's ``register_or_update_pid`` for the version DOI and for the concept
DOI (``parent=True``), and both end here, writing an entry *on the same row* (the
concept DOI's entry lives on the latest version, see ``record_of``). Each task had
loaded the record at its start; the first commit bumped the row's ``version_id``
(SQLAlchemy's optimistic lock, ``RecordMetadataBase.version_id``) and the second
task's UPDATE then matched no row: ``StaleDataError``, the task's transaction was
rolled back, and with it ``pid.register()``, so the concept DOI stayed *reserved*
(although findable on DataCite) until the retry sweep. ``record_registration_attempt``
therefore re-reads the row ``SELECT ... FOR UPDATE`` (``populate_existing``) and
writes its entry onto what is committed now: the second task waits for the first
one's commit, then merges its entry beside the other one instead of failing.
"""

from copy import deepcopy
from datetime import UTC, datetime, timedelta

from flask import current_app
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.utils import ChainObject

from ..custom_fields.fields import KEYWORD, SystemCF
from ..row_lock import locked_current

DOI_REGISTRATION = "demos:doi_registration"
PENDING = "pending"
REJECTED = "rejected"
REGISTERED = "registered"
UNCONFIRMED = (PENDING, REJECTED)
"""States in which DataCite does not (yet) know the DOI's current metadata."""

ENTRY_PROPERTIES = {
    "doi": KEYWORD,
    "status": KEYWORD,
    "attempts": {"type": "integer"},
    "last_attempt": {"type": "date"},
    "message": {"type": "text"},
}
DOI_REGISTRATION_FIELD = SystemCF(
    name=DOI_REGISTRATION,
    properties={
        "version": {"type": "object", "properties": ENTRY_PROPERTIES},
        "concept": {"type": "object", "properties": ENTRY_PROPERTIES},
    },
)
"""The custom field; add it to ``RDM_CUSTOM_FIELDS``."""


def record_of(pid_record):
    """The record version behind what a PID provider is given (a parent is a ChainObject)."""
    return pid_record._child if isinstance(pid_record, ChainObject) else pid_record


def entry_key(parent):
    """Which entry of the field a DOI is: the concept (parent) or the version DOI."""
    return "concept" if parent else "version"


def registration_entry(record, parent):
    """The stored entry of one of the record's DOIs ({} if none)."""
    return ((record.get("custom_fields") or {}).get(DOI_REGISTRATION) or {}).get(entry_key(parent)) or {}


def record_registration_attempt(record, pid, parent, error=None, rejection=None, only_if_unconfirmed=False):
    """Store the outcome of one attempt on the record and reindex it.

    ``error``: why the attempt failed (the DOI stays pending); ``rejection``:
    DataCite's reasons for refusing the metadata, a list of ``source`` / ``title``
    (the DOI becomes rejected); neither: DataCite confirmed the DOI. Written on the
    row as it is now, locked (see the module's docstring); the caller's copy of the
    record is given the stored field. ``only_if_unconfirmed``: write a success only
    over a pending or rejected entry (a routine metadata update leaves the field alone).
    """
    current = locked_current(record)
    previous = registration_entry(current, parent)
    if only_if_unconfirmed and previous.get("status") not in UNCONFIRMED:
        return
    attempts = previous.get("attempts", 0) if previous.get("doi") == pid.pid_value else 0
    entry = {
        "doi": pid.pid_value,
        "status": REJECTED if rejection else PENDING if error else REGISTERED,
        "attempts": attempts + 1,
        "last_attempt": datetime.now(UTC).isoformat(),
    }
    if rejection:
        entry["message"] = rejection_message(rejection)
        entry["errors"] = rejection
    elif error:
        entry["message"] = error
    custom_fields = current.setdefault("custom_fields", {})
    entries = custom_fields.get(DOI_REGISTRATION) or {}
    custom_fields[DOI_REGISTRATION] = {**entries, entry_key(parent): entry}
    current.commit()
    current_rdm_records_service.indexer.index(current)
    record.setdefault("custom_fields", {})[DOI_REGISTRATION] = deepcopy(custom_fields[DOI_REGISTRATION])


def rejection_message(errors):
    """DataCite's reasons in one line: ``source: title; ...``."""
    reasons = "; ".join(
        f"{error['source']}: {error['title']}" if error.get("source") else error.get("title", "")
        for error in errors
    )
    return f"DataCite rejected the metadata: {reasons}"


def retry_delay(attempts):
    """Exponential back-off after ``attempts`` failed attempts, capped."""
    base = current_app.config["DEMOS_DOI_RETRY_BASE_DELAY"]
    cap = current_app.config["DEMOS_DOI_RETRY_MAX_DELAY"]
    return min(base * 2 ** max(attempts - 1, 0), cap)


def is_due(entry, moment=None):
    """Whether a pending DOI's back-off has elapsed."""
    if not entry.get("last_attempt"):
        return True
    moment = moment or datetime.now(UTC)
    waited = moment - datetime.fromisoformat(entry["last_attempt"])
    return waited >= timedelta(seconds=retry_delay(entry.get("attempts", 0)))
