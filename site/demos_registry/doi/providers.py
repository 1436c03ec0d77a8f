"""InvenioRDM's DataCite provider, made to report and survive failed registrations.

Upstream ``DataCitePIDProvider.register`` marks the PID registered *before* it calls
DataCite, swallows DataCite's 4xx/5xx answers and lets a refused connection escape
as an exception: a failure is either silently lost or leaves a "registered" DOI
that DataCite never saw. Here the PID stays *reserved* until DataCite confirmed it,
every attempt is written to the record (``demos:doi_registration``, see
registration.py) and ``tasks.retry_pending_doi_registrations`` re-attempts the
reserved ones with back-off.

``DemosDataCiteClient`` talks to ``DATACITE_URL`` when it is set (the local
DataCite-protocol server in development and tests), else to DataCite itself.
"""

from datacite import DataCiteRESTClient
from datacite.errors import DataCiteError, HttpError
from flask import current_app
from invenio_rdm_records.records.api import RDMRecord
from invenio_rdm_records.resources.serializers import DataCite45JSONSerializer
from invenio_rdm_records.services.pids.providers.datacite import (
    DataCiteClient,
    DataCitePIDProvider,
)
from invenio_rdm_records.utils import ChainObject

from .registration import PENDING, record_of, record_registration_attempt, registration_entry

ALREADY_TAKEN = "already been taken"
"""DataCite's 422 title when a DOI exists: a previous attempt reached DataCite."""


class DemosDataCiteClient(DataCiteClient):
    """A DataCite client that honours ``DATACITE_URL``."""

    @property
    def api(self):
        """A REST client for the configured server (built per use: config may change)."""
        self.check_credentials()
        url = self.cfg("url")
        return DataCiteRESTClient(
            self.cfg("username"),
            self.cfg("password"),
            self.cfg("prefix"),
            test_mode=False if url else self.cfg("test_mode", True),
            url=url,
            timeout=self.cfg("timeout", 20),
        )


def previous_version_doi(record):
    """The DOI of the version published before this one, if it has one."""
    index = record.versions.index
    if not index or index < 2:
        return None
    previous = RDMRecord.model_cls.query.filter_by(parent_id=record.parent.id, index=index - 1).one_or_none()
    if previous is None:
        return None
    return (previous.data.get("pids") or {}).get("doi", {}).get("identifier")


class VersionLinkingDataCiteSerializer(DataCite45JSONSerializer):
    """DataCite 4.5 JSON of a version, linked to the version before it (IsNewVersionOf).

    Invenio links a version to its concept DOI (IsVersionOf) and the concept DOI to
    every version (HasVersion); the chain between consecutive versions is added here.
    """

    def dump_obj(self, obj):
        """Invenio's document plus the IsNewVersionOf relation."""
        document = super().dump_obj(obj)
        doi = None if isinstance(obj, ChainObject) else previous_version_doi(obj)
        if doi:
            document.setdefault("relatedIdentifiers", []).append(
                {"relatedIdentifier": doi, "relationType": "IsNewVersionOf", "relatedIdentifierType": "DOI"}
            )
        return document


def is_restricted(record):
    """Restricted records get no public DOI (as upstream decides)."""
    child = record._child if isinstance(record, ChainObject) else record
    return child["access"]["record"] == "restricted"


def failure_message(error):
    """A short, human-readable reason of a DataCite failure."""
    if isinstance(error, HttpError):
        return f"DataCite could not be reached: {error.args[0] if error.args else error}"
    text = error.args[0] if error.args else ""
    try:
        titles = [
            f"{item.get('source')}: {item.get('title')}" if item.get("source") else item.get("title")
            for item in current_app.json.loads(text).get("errors", [])
        ]
    except (TypeError, ValueError, AttributeError):
        titles = []
    return "; ".join(titles) or f"DataCite answered {type(error).__name__}: {text[:300]}"


class DemosDataCitePIDProvider(DataCitePIDProvider):
    """DataCite DOIs that are only *registered* once DataCite accepted them."""

    def register(self, pid, record, **kwargs):
        """Make the DOI findable on DataCite, then mark the PID registered.

        Returns False (PID left reserved, the failure recorded on the record) when
        DataCite refused or could not be reached.
        """
        if is_restricted(record):
            return False
        parent = isinstance(record, ChainObject)
        try:
            self._publish_on_datacite(pid, record, kwargs["url"])
        except (DataCiteError, HttpError) as error:
            current_app.logger.warning(
                "DataCite registration of %s failed; it will be retried", pid.pid_value
            )
            record_registration_attempt(record_of(record), pid, parent, error=failure_message(error))
            return False
        if not pid.is_registered():
            pid.register()
        record_registration_attempt(record_of(record), pid, parent)
        return True

    def _publish_on_datacite(self, pid, record, url):
        """POST the findable DOI; PUT when an earlier attempt already created it."""
        document = self.serializer.dump_obj(record)
        api = self.client.api
        try:
            api.public_doi(metadata=dict(document), url=url, doi=pid.pid_value)
        except DataCiteError as error:
            if ALREADY_TAKEN not in str(error.args[0] if error.args else ""):
                raise
            api.update_doi(doi=pid.pid_value, metadata={**document, "event": "publish"}, url=url)

    def update(self, pid, record, url=None, **kwargs):
        """Update DataCite; a failure is recorded (and retried) like a failed registration."""
        parent = isinstance(record, ChainObject)
        try:
            updated = super().update(pid, record, url=url, **kwargs)
        except HttpError:
            updated = False
        if not updated:
            record_registration_attempt(
                record_of(record), pid, parent, error="DataCite refused or missed the update"
            )
        elif registration_entry(record_of(record), parent).get("status") == PENDING:
            record_registration_attempt(record_of(record), pid, parent)
        return updated
