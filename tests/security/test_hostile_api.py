"""The hostile input corpus through the REST API and the deposit path: a clear 4xx, nothing stored.

Every case of hostile_corpus.py is sent as a real request to the application; the answer
must be the expected 4xx naming the field (never a 500, never an HTML page), and afterwards
the caller has no new draft and the draft no new file. The engine library's own hostile
files are covered by tests/validation/test_hostile_inputs.py.
"""

import io
import json

import pytest
import sqlalchemy as sa
from hostile_corpus import (
    DRAFT_BODIES,
    FILE_KEYS,
    MODEL_FILE_NAMES,
    MODEL_METADATA_PARTS,
    SEARCH_QUERIES,
)
from invenio_db import db
from models_api.api_helpers import bearer
from rest_helpers import (
    TWO_BIN_ENTRY,
    create_draft,
    drafts_of,
    model_metadata,
    record_metadata,
)

MODEL_FILE = TWO_BIN_ENTRY.parent / "2-bin_1-channel.json"
SMALL_FILE_LIMIT = 64 * 1024
"""File size limit of this module (the production limit is set in config.py)."""


@pytest.fixture(scope="module")
def app_config(app_config):
    """A small file-size limit, so that an oversized upload is cheap to send."""
    app_config.update(RDM_FILES_DEFAULT_MAX_FILE_SIZE=SMALL_FILE_LIMIT)
    return app_config


def assert_refused(response, case):
    """The expected 4xx, as JSON, naming the field when the case has one."""
    assert response.status_code in case.status, (response.status_code, response.get_data()[:500])
    assert response.is_json, response.get_data()[:500]
    if case.field:
        named = {error.get("field") for error in response.json.get("errors", [])}
        assert any(name and name.startswith(case.field) for name in named), response.json
    assert response.json.get("message"), response.json


def headers_with(api_headers, content_type):
    """The researcher's headers with another (or no) content type."""
    headers = {key: value for key, value in api_headers.items() if key != "Content-Type"}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


@pytest.fixture(scope="module")
def draft_id(app, researcher):
    """An empty draft of the researcher, target of the file-key cases."""
    headers = {"Authorization": f"Bearer {researcher.test_token}", "Content-Type": "application/json"}
    response = create_draft(app.test_client(), headers, record_metadata("Target of hostile file names"))
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.mark.parametrize("case", DRAFT_BODIES, ids=lambda case: case.id)
def test_hostile_draft_body_is_refused_and_nothing_stored(client, api_headers, researcher, case):
    before = drafts_of(researcher)
    response = client.post(
        "/api/records", headers=headers_with(api_headers, case.content_type), data=case.body
    )
    assert_refused(response, case)
    assert drafts_of(researcher) == before


@pytest.mark.parametrize("case", DRAFT_BODIES[:6], ids=lambda case: case.id)
def test_hostile_draft_update_is_refused(client, api_headers, draft_id, case):
    response = client.put(
        f"/api/records/{draft_id}/draft", headers=headers_with(api_headers, case.content_type), data=case.body
    )
    assert_refused(response, case)
    draft = client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json
    assert draft["metadata"]["title"] == "Target of hostile file names"


@pytest.mark.parametrize("case", FILE_KEYS, ids=lambda case: case.id)
def test_hostile_file_key_is_refused_and_nothing_stored(client, api_headers, draft_id, case):
    response = client.post(
        f"/api/records/{draft_id}/draft/files",
        headers=headers_with(api_headers, case.content_type),
        data=case.body,
    )
    assert_refused(response, case)
    files = client.get(f"/api/records/{draft_id}/draft/files", headers=api_headers).json
    assert files["entries"] == []


def test_oversized_file_is_refused_and_not_kept(client, api_headers, draft_id):
    files_url = f"/api/records/{draft_id}/draft/files"
    response = client.post(files_url, headers=api_headers, data=json.dumps([{"key": "big.json"}]))
    assert response.status_code == 201, response.json
    octet = headers_with(api_headers, "application/octet-stream")
    response = client.put(f"{files_url}/big.json/content", headers=octet, data=b"0" * (SMALL_FILE_LIMIT + 1))
    assert response.status_code in (400, 413), response.get_data()[:500]
    assert response.is_json and "size" in response.json["message"].lower(), response.json
    entries = client.get(files_url, headers=api_headers).json["entries"]
    assert all(entry["status"] != "completed" for entry in entries), entries
    client.delete(f"{files_url}/big.json", headers=api_headers)


def test_file_content_with_a_wrong_content_type_is_refused(client, api_headers, draft_id):
    files_url = f"/api/records/{draft_id}/draft/files"
    response = client.post(files_url, headers=api_headers, data=json.dumps([{"key": "typed.json"}]))
    assert response.status_code == 201, response.json
    response = client.put(f"{files_url}/typed.json/content", headers=api_headers, data=b"{}")
    assert response.status_code == 415, response.get_data()[:500]
    client.delete(f"{files_url}/typed.json", headers=api_headers)


def model_upload(metadata, filename="2-bin_1-channel.json", content=None):
    """A /api/models multipart form with one file."""
    content = MODEL_FILE.read_bytes() if content is None else content
    return {"metadata": metadata, "file": (io.BytesIO(content), filename)}


def entry_payload():
    """A valid model in record shape (the files decide the rest)."""
    return json.dumps(model_metadata("Hostile upload through /api/models"))


@pytest.mark.parametrize("case", MODEL_FILE_NAMES, ids=lambda case: case.id)
def test_hostile_model_file_name_is_refused_and_nothing_stored(client, researcher, case):
    before = drafts_of(researcher)
    response = client.post(
        "/api/models",
        headers=bearer(researcher.test_token),
        data=model_upload(entry_payload(), filename=case.query["filename"]),
        content_type="multipart/form-data",
    )
    assert_refused(response, case)
    assert drafts_of(researcher) == before


@pytest.mark.parametrize("case", MODEL_METADATA_PARTS, ids=lambda case: case.id)
def test_hostile_model_metadata_is_refused_and_nothing_stored(client, researcher, case):
    before = drafts_of(researcher)
    response = client.post(
        "/api/models",
        headers=bearer(researcher.test_token),
        data=model_upload(case.body),
        content_type="multipart/form-data",
    )
    assert_refused(response, case)
    assert drafts_of(researcher) == before


def test_models_upload_as_json_is_unsupported(client, researcher):
    response = client.post(
        "/api/models", headers=bearer(researcher.test_token), data=entry_payload(), content_type="application/json"
    )
    assert response.status_code == 415 and response.is_json, response.get_data()[:300]


def api_app_of(app):
    """The REST application mounted under /api (its config is the one the API reads)."""
    wsgi = app.wsgi_app
    while not hasattr(wsgi, "mounts"):
        wsgi = wsgi.app
    return wsgi.mounts["/api"]


def test_models_upload_beyond_the_request_limit_is_refused(app, client, researcher, monkeypatch):
    """MAX_CONTENT_LENGTH (config.py: the file size limit plus an envelope), lowered to stay cheap."""
    monkeypatch.setitem(api_app_of(app).config, "MAX_CONTENT_LENGTH", 4096)
    before = drafts_of(researcher)
    response = client.post(
        "/api/models",
        headers=bearer(researcher.test_token),
        data=model_upload(entry_payload(), content=b"{}" + b" " * 8192),
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and response.is_json, response.get_data()[:300]
    assert drafts_of(researcher) == before


def test_models_api_refuses_pages_beyond_its_limit(client):
    response = client.get("/api/models", query_string={"size": "100000"})
    assert response.status_code == 400 and "size" in json.dumps(response.json), response.json


SEARCH_ENDPOINTS = ["/api/records", "/api/models/search", "/api/models/filter"]


@pytest.mark.parametrize("endpoint", SEARCH_ENDPOINTS)
@pytest.mark.parametrize("case", SEARCH_QUERIES, ids=lambda case: case.id)
def test_hostile_search_is_answered_cleanly(client, endpoint, case):
    query = dict(case.query)
    if endpoint == "/api/models/search":
        query.setdefault("q", "neutrino")
    response = client.get(endpoint, query_string=query, headers={"Accept": "application/json"})
    assert response.status_code in case.status, (response.status_code, response.get_data()[:500])
    assert response.is_json, response.get_data()[:300]
    if response.status_code == 400:
        assert response.json.get("message") or response.json.get("errors"), response.json


def test_sql_in_search_reaches_no_database(client):
    client.get("/api/records", query_string={"q": "'; DROP TABLE rdm_records_metadata; --"})
    assert db.session.execute(sa.text("SELECT count(*) FROM rdm_records_metadata")).scalar() >= 0
