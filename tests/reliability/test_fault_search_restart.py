"""Fault: the search server goes down and comes back empty (as osmem-server does on restart).

The app of this module talks to an osmem-server of its own, so killing it leaves the
session's server alone. While it is down, searches are ``503`` JSON with ``Retry-After``
(not a 500 page); records are still read from the database; after the restart the
registry's set-up command (what ``scripts/run`` runs on start) refills the indices from
the database and search finds the records again.
"""

import io
import json
import uuid

import pytest
from invenio_rdm_records.records.models import RDMDraftMetadata
from osmem_server import OsmemServer
from rest_helpers import create_draft, publish, record_metadata
from werkzeug.http import parse_options_header

from demos_registry.cli import demos

pytestmark = pytest.mark.slow


class RestartableSearchServer:
    """An osmem-server process that the test may kill and start again on the same port."""

    def __init__(self):
        self.server = OsmemServer.start(japanese=False)
        self.host, port = self.server.url.split("//", 1)[1].rstrip("/").split(":")
        self.port = int(port)

    def kill(self):
        """SIGKILL: the outage."""
        self.server.process.kill()
        self.server.process.wait(timeout=10)

    def start(self):
        """A new, empty server on the same address."""
        self.server = OsmemServer.start(japanese=False, addr=f"{self.host}:{self.port}")

    def close(self):
        """Stop whatever runs."""
        self.server.close()


@pytest.fixture(scope="module")
def search_server():
    """A search server of the module's own, so that killing it leaves the session's server alone."""
    server = RestartableSearchServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def search_hosts(search_server):
    """The app of this module searches on its own server."""
    return [{"host": search_server.host, "port": search_server.port}]


def assert_service_unavailable(response):
    """503, JSON, Retry-After and a message that says search is down."""
    assert response.status_code == 503, (response.status_code, response.data[:300])
    assert parse_options_header(response.headers["Content-Type"])[0] == "application/json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.json["status"] == 503
    assert "search service is unavailable" in response.json["message"]


def hits(response):
    """Ids of a search response's hits."""
    assert response.status_code == 200, response.json
    return [hit["id"] for hit in response.json["hits"]["hits"]]


def test_search_outage_is_503_json_and_reindex_restores_search(app, search_server, client, api_headers):
    """Down → 503 JSON (GET of a record still served); restarted and reindexed → found again."""
    title = f"Search outage record {uuid.uuid4().hex[:8]}"
    payload = {**record_metadata(title), "files": {"enabled": False}}
    draft = create_draft(client, api_headers, payload).json
    assert publish(client, api_headers, draft["id"]).status_code == 202
    record_id = draft["id"]
    search = {"q": f'metadata.title:"{title}"'}
    assert hits(client.get("/api/records", query_string=search, headers=api_headers)) == [record_id]

    search_server.kill()
    assert_service_unavailable(client.get("/api/records", query_string=search, headers=api_headers))
    assert_service_unavailable(client.get("/api/user/records", headers=api_headers))
    assert_service_unavailable(client.get("/api/models", query_string=search, headers=api_headers))
    assert client.get(f"/api/records/{record_id}", headers=api_headers).json["metadata"]["title"] == title

    search_server.start()
    result = app.test_cli_runner().invoke(demos, ["setup", "--no-demo-models"])
    assert result.exit_code == 0, result.output
    assert "search: reindexed everything from the database" in result.output
    assert hits(client.get("/api/records", query_string=search, headers=api_headers)) == [record_id]
    assert json.loads(client.get(f"/api/records/{record_id}", headers=api_headers).data)["id"] == record_id


def test_a_retried_submission_with_an_idempotency_key_makes_one_model(
    app, search_server, client, api_headers
):
    """Search down: the POST commits, then answers 503; the retry with its key returns that model.

    Without the key a client's retry made a second draft. A different request with the
    same key is a 422; after the restart and reindex the one model is found.
    """
    title = f"Idempotent submission {uuid.uuid4().hex[:8]}"
    metadata = {
        "metadata": {
            "title": title,
            "resource_type": {"id": "model"},
            "creators": [{"person_or_org": {"type": "organizational", "name": "DEMOS"}}],
        },
        "custom_fields": {
            "demos:domain": {"id": "particle"},
            "demos:engine": {"id": "pyhf"},
            "demos:format": {"id": "pyhf-json"},
        },
    }
    workspace = json.dumps(
        {"channels": [], "observations": [], "measurements": [], "version": "1.0.0"}
    ).encode()
    headers = {"Authorization": api_headers["Authorization"], "Idempotency-Key": str(uuid.uuid4())}

    def post(body=metadata):
        return client.post(
            "/api/models",
            headers=headers,
            content_type="multipart/form-data",
            data={"metadata": json.dumps(body), "file": [(io.BytesIO(workspace), "workspace.json")]},
        )

    def drafts_titled():
        return sum(
            1
            for model in RDMDraftMetadata.query.all()
            if (model.json or {}).get("metadata", {}).get("title") == title
        )

    search_server.kill()
    try:
        first = post()
        assert first.status_code == 503, first.json
        assert drafts_titled() == 1
        retry = post()
        assert retry.status_code == 201, retry.json
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json["name"] == title
        assert drafts_titled() == 1
        different = post({**metadata, "metadata": {**metadata["metadata"], "title": title + " (changed)"}})
        assert different.status_code == 422, different.json
        assert "Idempotency-Key" in different.json["message"]
    finally:
        search_server.start()
        result = app.test_cli_runner().invoke(demos, ["setup", "--no-demo-models"])
        assert result.exit_code == 0, result.output
    assert post().json["id"] == retry.json["id"]
    assert drafts_titled() == 1


def test_a_refill_waits_as_long_as_a_large_embedded_index_needs(app):
    """The refill's bulk requests are not cut off at Invenio's 10 s on the embedded server.

    At 10,000 models one bulk request into osmem took over 10 s; invenio-indexer acknowledges
    the batch's queue messages before sending it, so a timed-out batch was lost from search.
    """
    assert app.config["DEMOS_EMBEDDED_SEARCH"] is True
    assert app.config["INDEXER_BULK_REQUEST_TIMEOUT"] >= 300
