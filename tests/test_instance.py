"""The registry instance works end to end: REST deposit, search, pages, OAI-PMH."""

import uuid
import xml.etree.ElementTree as ET

from rest_helpers import (
    create_draft,
    drafts_of,
    error_fields,
    publish,
    record_metadata,
    refresh_records_index,
    upload_file,
)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
MODEL_FILE = "2-bin_1-channel.json"


def test_deposit_publish_search_and_landing_page(client, api_headers, shared_models):
    """A token holder creates, uploads, publishes; anyone finds and reads it."""
    title = f"Two-bin counting model {uuid.uuid4().hex[:8]}"
    content = (shared_models / "pyhf" / MODEL_FILE).read_bytes()

    response = create_draft(client, api_headers, record_metadata(title))
    assert response.status_code == 201, response.json
    draft_id = response.json["id"]
    assert not response.json.get("errors")

    uploaded = upload_file(client, api_headers, draft_id, MODEL_FILE, content)
    assert uploaded["size"] == len(content)

    response = publish(client, api_headers, draft_id)
    assert response.status_code == 202, response.json
    assert response.json["is_published"] is True

    refresh_records_index()
    word = title.split()[-1]
    response = client.get(f"/api/records?q={word}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    hits = response.json["hits"]["hits"]
    assert [hit["id"] for hit in hits] == [draft_id]

    response = client.get(f"/records/{draft_id}")
    assert response.status_code == 200
    assert title in response.get_data(as_text=True)


def test_search_page_renders_react_root(logged_in_client):
    """The search UI page carries the React search application's root."""
    response = logged_in_client.get("/search")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "data-invenio-search-config" in page
    assert "InvenioAppRdm.Search" in page


def test_deposit_page_renders_react_root(logged_in_client):
    """The deposit form page carries the React deposit application's root."""
    response = logged_in_client.get("/uploads/new")
    assert response.status_code == 200
    assert 'id="deposit-form"' in response.get_data(as_text=True)


def test_deposit_page_requires_login(client):
    """Anonymous visitors are sent to the login page."""
    response = client.get("/uploads/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_oai_pmh_identify(client):
    """/oai2d answers a valid OAI-PMH Identify response."""
    response = client.get("/oai2d?verb=Identify")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    identify = root.find(f"{OAI}Identify")
    assert identify is not None
    assert identify.findtext(f"{OAI}protocolVersion") == "2.0"
    assert identify.findtext(f"{OAI}repositoryName") == "DEMOS Model Registry"


def test_publish_without_required_metadata_is_refused(client, api_headers):
    """Missing required metadata: 400 naming each field, and nothing published."""
    incomplete = record_metadata("placeholder")
    del incomplete["metadata"]["title"]
    del incomplete["metadata"]["creators"]
    incomplete["files"] = {"enabled": False}
    response = create_draft(client, api_headers, incomplete)
    assert response.status_code == 201
    draft_id = response.json["id"]

    response = publish(client, api_headers, draft_id)
    assert response.status_code == 400
    assert {"metadata.title", "metadata.creators"} <= error_fields(response)

    assert client.get(f"/api/records/{draft_id}").status_code == 404
    assert client.get(f"/api/records/{draft_id}/draft", headers=api_headers).status_code == 200


def test_unparsable_payload_is_a_400_and_creates_nothing(client, api_headers, researcher):
    """Broken JSON is refused with a JSON 400; no draft appears."""
    before = drafts_of(researcher)
    response = client.post("/api/records", headers=api_headers, data='{"metadata": {"title": ')
    assert response.status_code == 400
    assert response.json["status"] == 400
    assert drafts_of(researcher) == before


def test_wrongly_typed_field_is_named_and_not_stored(client, api_headers):
    """A draft keeps partial data, but a wrongly typed value is named and dropped."""
    payload = record_metadata("wrongly typed")
    payload["metadata"]["publication_date"] = "the day before yesterday"
    response = create_draft(client, api_headers, payload)
    assert response.status_code == 201
    assert "metadata.publication_date" in error_fields(response)
    assert "publication_date" not in response.json["metadata"]
