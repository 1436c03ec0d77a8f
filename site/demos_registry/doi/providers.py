"""InvenioRDM's DataCite provider, made to report and survive failed registrations.

Upstream ``DataCitePIDProvider.register`` marks the PID registered *before* it calls
DataCite, swallows DataCite's 4xx/5xx answers and lets a refused connection escape
as an exception: a failure is either silently lost or leaves a "registered" DOI
that DataCite never saw. Here the PID stays *reserved* until DataCite confirmed it,
every attempt is written to the record (``demos:doi_registration``, see
registration.py) and ``tasks.retry_pending_doi_registrations`` re-attempts the
reserved ones with back-off.

Failures are of two kinds. DataCite down, timing out or answering 5xx is transient:
the DOI is ``pending`` and retried. DataCite answering 422 refuses the metadata
itself (``DataCiteRejection``): the DOI is ``rejected`` with DataCite's reasons, a
warning is logged for administrators, and it is not retried until the record is
published again or an administrator asks (``invenio demos doi retry``). The
``datacite`` package raises the same ``DataCiteServerError`` for 422 and for 5xx, so
``DemosDataCiteRequest`` tells them apart by the HTTP status.

Versions are linked both ways on DataCite: a new version's payload says
``IsNewVersionOf`` the previous one (serializers.py), and once the new version is
registered the previous version's DOI is updated so that it says
``IsPreviousVersionOf`` the new one (``DemosDataCitePIDProvider.register``, through
Invenio's ``register_or_update_pid`` task, so that a failed update is recorded on
the previous version and retried like any other).

``DemosDataCiteClient`` talks to ``DATACITE_URL`` when it is set (the local
DataCite-protocol server in development and tests), else to DataCite itself.
"""

import json

from datacite import DataCiteRESTClient
from datacite.errors import DataCiteError, DataCiteRequestError, HttpError
from datacite.request import DataCiteRequest
from flask import current_app
from invenio_pidstore.models import PIDStatus
from invenio_rdm_records.services.pids.providers.datacite import (
    DataCiteClient,
    DataCitePIDProvider,
)
from invenio_rdm_records.services.pids.tasks import register_or_update_pid
from invenio_rdm_records.utils import ChainObject

from .registration import record_of, record_registration_attempt, rejection_message
from .relations import previous_version

ALREADY_TAKEN = "already been taken"
"""DataCite's 422 title when a DOI exists: a previous attempt reached DataCite."""
UNPROCESSABLE = 422
"""DataCite's status when it refuses a request's content (e.g. metadata failing its schema)."""


def datacite_errors(text):
    """The ``source`` / ``title`` of each error of a DataCite JSON:API error document ([] if none)."""
    try:
        errors = json.loads(text).get("errors") or []
    except (TypeError, ValueError, AttributeError):
        return []
    return [
        {key: str(error[key]) for key in ("source", "title") if error.get(key) is not None}
        for error in errors
        if isinstance(error, dict)
    ]


class DataCiteRejection(DataCiteRequestError):
    """DataCite's 422: it refused the request's content; the same request would be refused again."""

    @property
    def errors(self):
        """DataCite's reasons: ``source`` (the attribute) and ``title`` of each error."""
        text = self.args[0] if self.args else ""
        return datacite_errors(text) or [{"title": f"DataCite answered 422: {text[:300]}"}]


class DemosDataCiteRequest(DataCiteRequest):
    """Requests that raise ``DataCiteRejection`` on a 422 (the client package calls it a server error)."""

    def request(self, url, method="GET", body=None, params=None, headers=None):
        """Send the request; a 422 answer becomes a ``DataCiteRejection``."""
        response = super().request(url, method=method, body=body, params=params, headers=headers)
        if response.status_code == UNPROCESSABLE:
            raise DataCiteRejection(response.text)
        return response


class DemosDataCiteRESTClient(DataCiteRESTClient):
    """The ``datacite`` package's REST client, with ``DemosDataCiteRequest``."""

    def _create_request(self):
        return DemosDataCiteRequest(
            base_url=self.api_url,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
        )


class DemosDataCiteClient(DataCiteClient):
    """A DataCite client that honours ``DATACITE_URL`` and tells refusals (422) from outages."""

    @property
    def api(self):
        """A REST client for the configured server (built per use: config may change)."""
        self.check_credentials()
        url = self.cfg("url")
        return DemosDataCiteRESTClient(
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
    """A short, human-readable reason of a transient DataCite failure."""
    if isinstance(error, HttpError):
        return f"DataCite could not be reached: {error.args[0] if error.args else error}"
    text = error.args[0] if error.args else ""
    titles = [
        f"{item['source']}: {item.get('title')}" if item.get("source") else item.get("title")
        for item in datacite_errors(text)
    ]
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
            self._record_failure(pid, record, error, "registration")
            return False
        if not pid.is_registered():
            pid.register()
        record_registration_attempt(record_of(record), pid, parent)
        if not parent:
            self._link_previous_version(record)
        return True

    def _record_failure(self, pid, record, error, action):
        """Write a failed attempt on the record: rejected (422) or pending (anything else)."""
        parent = isinstance(record, ChainObject)
        if isinstance(error, DataCiteRejection):
            current_app.logger.warning(
                "DataCite rejected the %s of %s (record %s): %s. Not retried until the record "
                "is published again or an administrator runs 'invenio demos doi retry %s'",
                action,
                pid.pid_value,
                record_of(record).pid.pid_value,
                rejection_message(error.errors),
                record_of(record).pid.pid_value,
            )
            record_registration_attempt(record_of(record), pid, parent, rejection=error.errors)
        else:
            current_app.logger.warning("DataCite %s of %s failed; it will be retried", action, pid.pid_value)
            record_registration_attempt(record_of(record), pid, parent, error=failure_message(error))

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
        """Send changed metadata to DataCite (hide the DOI of a record made restricted).

        As Invenio's ``update``, except that a failure is recorded on the record (and
        retried when transient) and that a success clears a pending or rejected entry.
        """
        try:
            if is_restricted(record):
                self.client.api.hide_doi(doi=pid.pid_value)
            else:
                document = self.serializer.dump_obj(record)
                # "publish" makes a DOI findable again if it was hidden before
                self.client.api.update_doi(
                    doi=pid.pid_value, metadata={**document, "event": "publish"}, url=url
                )
        except (DataCiteError, HttpError) as error:
            self._record_failure(pid, record, error, "metadata update")
            return False
        record_registration_attempt(
            record_of(record), pid, isinstance(record, ChainObject), only_if_unconfirmed=True
        )
        if pid.is_deleted():
            return pid.sync_status(PIDStatus.REGISTERED)
        return True
