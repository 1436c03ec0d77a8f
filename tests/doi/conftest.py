"""Fixtures of the DOI tests: a local DataCite-protocol server and the app configured for it.

The server is real (HTTP on a free loopback port, the ``datacite`` client talks to
it); its DOIs are kept in a file so that it can be stopped ("DataCite is down") and
started again on the same port with the same DOIs.
"""

import pytest
from datacite_server import DataCiteServer
from invenio_access.permissions import system_identity
from invenio_db import db
from invenio_pidstore.models import PersistentIdentifier
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMDraft, RDMParent, RDMRecord
from rest_helpers import create_draft, publish, refresh_records_index, upload_file
from sqlalchemy.orm.attributes import flag_modified

from demos_registry.custom_fields.config import DEMOS_CUSTOM_FIELDS
from demos_registry.doi import config as doi_config
from demos_registry.doi.registration import DOI_REGISTRATION

PREFIX = "10.80000"
USERNAME = PASSWORD = "demos"
MODEL_FILE = "2-bin_1-channel.json"


class LocalDataCite:
    """A DataCite-protocol server that can go down and come back on its port."""

    def __init__(self, store_path):
        """Start on a free port."""
        self.store_path = store_path
        self.server = DataCiteServer(PREFIX, USERNAME, PASSWORD, store_path=store_path).start()
        self.port = self.server.port
        self.url = self.server.url

    @property
    def running(self):
        """Whether the server answers."""
        return self.server is not None

    def dois(self):
        """Every DOI the server holds, by DOI."""
        return {item["doi"]: item for item in self.server.store.all()}

    def stop(self):
        """Take the server down."""
        self.server.stop()
        self.server = None

    def start(self):
        """Bring it back on the same port, with the same DOIs."""
        self.server = DataCiteServer(
            PREFIX, USERNAME, PASSWORD, port=self.port, store_path=self.store_path
        ).start()


@pytest.fixture(scope="module")
def datacite(tmp_path_factory):
    """The local DataCite server of this module."""
    local = LocalDataCite(tmp_path_factory.mktemp("datacite") / "dois.json")
    yield local
    if local.running:
        local.stop()


@pytest.fixture(scope="module")
def app_config(app_config, datacite):
    """The registry's DOI settings (doi/config.py) pointed at the local server."""
    app_config.update(
        DATACITE_ENABLED=True,
        DATACITE_URL=datacite.url,
        DATACITE_PREFIX=PREFIX,
        DATACITE_USERNAME=USERNAME,
        DATACITE_PASSWORD=PASSWORD,
        DATACITE_TEST_MODE=True,
        DATACITE_TIMEOUT=5,
        RDM_PERSISTENT_IDENTIFIER_PROVIDERS=doi_config.RDM_PERSISTENT_IDENTIFIER_PROVIDERS,
        RDM_PARENT_PERSISTENT_IDENTIFIER_PROVIDERS=doi_config.RDM_PARENT_PERSISTENT_IDENTIFIER_PROVIDERS,
        RDM_PERSISTENT_IDENTIFIERS=doi_config.RDM_PERSISTENT_IDENTIFIERS,
        RDM_PARENT_PERSISTENT_IDENTIFIERS=doi_config.RDM_PARENT_PERSISTENT_IDENTIFIERS,
        RDM_CUSTOM_FIELDS=[*DEMOS_CUSTOM_FIELDS, *doi_config.DOI_CUSTOM_FIELDS],
        DEMOS_DOI_RETRY_BASE_DELAY=0,  # retry at once: the tests call the retry task themselves
        DEMOS_DOI_RETRY_MAX_DELAY=0,
    )
    return app_config


def forget_datacite_dois():
    """Take the DataCite DOIs (and their registration state) off every record, draft and parent."""
    for model_cls in (RDMRecord.model_cls, RDMDraft.model_cls, RDMParent.model_cls):
        for row in model_cls.query.all():
            data = row.json or {}
            minted = (data.get("pids") or {}).get("doi", {}).get("provider") == "datacite"
            if minted or DOI_REGISTRATION in (data.get("custom_fields") or {}):
                if minted:
                    data["pids"].pop("doi")
                (data.get("custom_fields") or {}).pop(DOI_REGISTRATION, None)
                row.json = data
                flag_modified(row, "json")
    PersistentIdentifier.query.filter_by(pid_type="doi", pid_provider="datacite").delete()
    db.session.commit()
    current_rdm_records_service.rebuild_index(system_identity)
    current_rdm_records_service.draft_indexer.process_bulk_queue()
    refresh_records_index()


@pytest.fixture(scope="module")
def minting_instance(database):
    """The session's instance, given back without DOIs: the other test modules run without DataCite.

    (Their applications do not know the ``doi`` scheme, so a record with a DataCite
    DOI would break building its links.)
    """
    yield
    forget_datacite_dois()


@pytest.fixture()
def publish_model(client, api_headers, shared_models, minting_instance):
    """Publish a model through the REST API; returns the record JSON as read back."""

    def publish_model(payload, draft_id=None):
        if draft_id is None:
            response = create_draft(client, api_headers, payload)
            assert response.status_code == 201, response.json
            draft_id = response.json["id"]
            upload_file(
                client,
                api_headers,
                draft_id,
                MODEL_FILE,
                (shared_models / "pyhf" / MODEL_FILE).read_bytes(),
            )
        response = publish(client, api_headers, draft_id)
        assert response.status_code == 202, response.json
        return client.get(f"/api/records/{draft_id}", headers=api_headers).json

    return publish_model
