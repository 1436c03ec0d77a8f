"""InvenioRDM's DataCite provider, made to report and survive failed registrations.

Upstream ``DataCitePIDProvider.register`` marks the PID registered *before* it calls
DataCite, swallows DataCite's 4xx/5xx answers and lets a refused connection escape
as an exception: a failure is either silently lost or leaves a "registered" DOI
that DataCite never saw. Here the PID stays *reserved* until DataCite confirmed it,
every attempt is written to the record (``demos:doi_registration``, see
registration.py) and ``tasks.retry_pending_doi_registrations`` re-attempts the
reserved ones with back-off.

Versions are linked both ways on DataCite: a new version's payload says
``IsNewVersionOf`` the previous one (serializers.py), and once the new version is
registered the previous version's DOI is updated so that it says
``IsPreviousVersionOf`` the new one (``DemosDataCitePIDProvider.register``, through
Invenio's ``register_or_update_pid`` task, so that a failed update is recorded on
the previous version and retried like any other).

``DemosDataCiteClient`` talks to ``DATACITE_URL`` when it is set (the local
DataCite-protocol server in development and tests), else to DataCite itself.
"""

from datacite import DataCiteRESTClient
from datacite.errors import DataCiteError, HttpError
from flask import current_app
from invenio_rdm_records.services.pids.providers.datacite import (
    DataCiteClient,
    DataCitePIDProvider,
)
from invenio_rdm_records.services.pids.tasks import register_or_update_pid
from invenio_rdm_records.utils import ChainObject

from .registration import record_of, record_registration_attempt
from .relations import previous_version

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
        if not parent:
            self._link_previous_version(record)
        return True

    def _link_previous_version(self, record):
        """Queue the update of the previous version's DOI: it now has a successor.

        Its DataCite metadata gains ``IsPreviousVersionOf`` this version's DOI. Only a
        DOI of this provider is updated (an external DOI is not ours to change).
        """
        previous = previous_version(record)
        if previous and previous["provider"] == self.name:
            register_or_update_pid.delay(previous["id"], "doi")

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
        else:
            record_registration_attempt(record_of(record), pid, parent, only_if_pending=True)
        return updated
