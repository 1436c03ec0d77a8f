"""The hostile input corpus through the REST API and the deposit path: a clear 4xx, nothing stored.

Every case of hostile_corpus.py is sent as a real request to the application; the answer
must be the expected 4xx naming the field (never a 500, never an HTML page), and afterwards
the caller has no new draft and the draft no new file. A hostile search that is answered
must show no more than an anonymous caller may see: published public records only (read
from the database), each exactly as a harmless search shows it. The engine library's own
hostile files are covered by tests/validation/test_hostile_inputs.py.
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
    publish,
    record_metadata,
    refresh_records_index,
    upload_file,
)

from demos_registry import config as registry_config

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
        "/api/models",
        headers=bearer(researcher.test_token),
        data=entry_payload(),
        content_type="application/json",
    )
    assert response.status_code == 415 and response.is_json, response.get_data()[:300]


def api_app_of(app):
    """The REST application mounted under /api (its config is the one the API reads)."""
    wsgi = app.wsgi_app
    while not hasattr(wsgi, "mounts"):
        wsgi = wsgi.app
    return wsgi.mounts["/api"]


class GeneratedUpload(io.RawIOBase):
    """A /api/models multipart body of exactly ``size`` bytes, made as it is read.

    The model file part is padded with spaces, so a body of hundreds of MiB costs no memory;
    ``consumed`` is the position read up to.
    """

    BOUNDARY = "demos-oversized-upload"

    def __init__(self, size):
        self.head = (
            f"--{self.BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="metadata"\r\n\r\n'
            f"{entry_payload()}\r\n"
            f"--{self.BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="2-bin_1-channel.json"\r\n'
            "Content-Type: application/json\r\n\r\n{}"
        ).encode()
        self.tail = f"\r\n--{self.BOUNDARY}--\r\n".encode()
        self.size = size
        self.consumed = 0

    @property
    def content_type(self):
        return f"multipart/form-data; boundary={self.BOUNDARY}"

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        """Werkzeug's test client measures the body by seeking to its end and back."""
        self.consumed = {io.SEEK_SET: 0, io.SEEK_CUR: self.consumed, io.SEEK_END: self.size}[whence] + offset
        return self.consumed

    def readinto(self, buffer):
        start = self.consumed
        end = min(start + len(buffer), self.size)
        padding_end = self.size - len(self.tail)
        data = (
            self.head[start:end]
            + b" " * max(0, min(end, padding_end) - max(start, len(self.head)))
            + self.tail[max(0, start - padding_end) : max(0, end - padding_end)]
        )
        buffer[: len(data)] = data
        self.consumed = end
        return len(data)


def test_models_upload_beyond_the_production_request_limit_is_refused(app, client, researcher):
    """One byte over the production MAX_CONTENT_LENGTH: a JSON 413, and nothing stored.

    The limit is the one config.py sets (the file size limit plus an envelope), as the API
    application holds it; the application must not read more than the limit of the body.
    """
    limit = api_app_of(app).config["MAX_CONTENT_LENGTH"]
    assert limit == registry_config.MAX_CONTENT_LENGTH == registry_config.DEMOS_MAX_FILE_SIZE + 1024 * 1024
    body = GeneratedUpload(limit + 1)
    before = drafts_of(researcher)
    response = client.post(
        "/api/models",
        headers=bearer(researcher.test_token),
        input_stream=body,
        content_length=body.size,
        content_type=body.content_type,
    )
    assert response.status_code == 413 and response.is_json, response.get_data()[:300]
    assert response.json["status"] == 413 and response.json["message"], response.json
    assert body.consumed <= limit
    assert drafts_of(researcher) == before


def test_models_api_refuses_pages_beyond_its_limit(client):
    response = client.get("/api/models", query_string={"size": "100000"})
    assert response.status_code == 400 and "size" in json.dumps(response.json), response.json


SEARCH_ENDPOINTS = ["/api/records", "/api/models/search", "/api/models/filter"]
MODEL_ENDPOINTS = ("/api/models/search", "/api/models/filter")
FIELD_INJECTION = "custom_fields.demos\\:domain.id:neutrino) OR (*:*"
WITHOUT_THE_INJECTION = "custom_fields.demos\\:domain.id:neutrino"
JSON_ACCEPT = {"Accept": "application/json"}


def published_model(client, headers, title, access="public"):
    """A validated and published two-bin model of the neutrino domain; returns its id."""
    payload = model_metadata(title, **{"demos:domain": {"id": "neutrino"}})
    payload["access"] = {"record": access, "files": access}
    draft = create_draft(client, headers, payload).json
    upload_file(client, headers, draft["id"], MODEL_FILE.name, MODEL_FILE.read_bytes())
    response = publish(client, headers, draft["id"])
    assert response.status_code == 202, response.json
    return response.json["id"]


@pytest.fixture(scope="module")
def hidden_from_anonymous(app, researcher):
    """Ids of neutrino models that no anonymous search may return: a draft and a restricted record.

    Beside them a public one is published, so that the searches have something to find.
    """
    client = app.test_client()
    headers = {"Authorization": f"Bearer {researcher.test_token}", "Content-Type": "application/json"}
    draft = create_draft(
        client,
        headers,
        model_metadata("Neutrino draft hidden from search", **{"demos:domain": {"id": "neutrino"}}),
    ).json
    restricted = published_model(client, headers, "Neutrino restricted model", access="restricted")
    published_model(client, headers, "Neutrino public model")
    refresh_records_index()
    return {draft["id"], restricted}


def published_public(models_only=False):
    """Ids of the published public records (of resource type model), read from the database."""
    query = (
        "SELECT json->>'id' FROM rdm_records_metadata WHERE deletion_status = 'P'"
        " AND json->'access'->>'record' = 'public'"
    )
    if models_only:
        query += " AND json->'metadata'->'resource_type'->>'id' = 'model'"
    return set(db.session.execute(sa.text(query)).scalars())


def hits_of(endpoint, body):
    """(hits, total) of a search answer: Invenio's {"hits": {"hits", "total"}} or /api/models'."""
    if endpoint in MODEL_ENDPOINTS:
        return body["hits"], body["total"]
    return body["hits"]["hits"], body["hits"]["total"]


def every_hit(client, endpoint, query=None):
    """Every hit of an anonymous search, by id (all pages)."""
    found, page = {}, 1
    while True:
        params = {**(query or {}), "page": page, "size": 100}
        response = client.get(endpoint, query_string=params, headers=JSON_ACCEPT)
        assert response.status_code == 200, response.json
        hits, total = hits_of(endpoint, response.json)
        found.update((hit["id"], hit) for hit in hits)
        if not hits or len(found) >= total:
            return found
        page += 1


@pytest.fixture(scope="module")
def anonymous_view(app, hidden_from_anonymous):
    """What an anonymous, harmless search shows, per endpoint: every hit by id."""
    client = app.test_client()
    return {
        "/api/records": every_hit(client, "/api/records"),
        "/api/models/search": every_hit(client, "/api/models/search", {"q": "*"}),
        "/api/models/filter": every_hit(client, "/api/models/filter"),
    }


def assert_no_more_than_anonymous_may_see(endpoint, response, anonymous_view, hidden):
    """A 200 shows only published public records, each exactly as a harmless search shows it."""
    hits, total = hits_of(endpoint, response.json)
    published = published_public(models_only=endpoint in MODEL_ENDPOINTS)
    assert published, "nothing is published: the check would be empty"
    ids = [hit["id"] for hit in hits]
    assert not set(ids) & hidden, ids
    assert set(ids) <= published, set(ids) - published
    assert total <= len(published), (total, len(published))
    for hit in hits:
        assert hit == anonymous_view[endpoint][hit["id"]], hit["id"]


def assert_refused_naming_the_parameter(response, case):
    """A 400 in JSON with a message; named fields are the case's parameters; no input echoed."""
    assert response.json["status"] == 400 and response.json["message"], response.json
    assert "hits" not in response.json, response.json
    named = {error["field"] for error in response.json.get("errors", [])}
    assert named <= set(case.query), (named, case.query)
    body = response.get_data(as_text=True)
    for value in case.query.values():
        assert "<script>" not in body and (len(value) < 8 or value not in body), body[:300]


@pytest.mark.parametrize("endpoint", SEARCH_ENDPOINTS)
@pytest.mark.parametrize("case", SEARCH_QUERIES, ids=lambda case: case.id)
def test_hostile_search_is_answered_cleanly(client, endpoint, case, anonymous_view, hidden_from_anonymous):
    """Refused with a JSON 400, or answered with no more than an anonymous caller may see."""
    query = dict(case.query)
    if endpoint == "/api/models/search":
        query.setdefault("q", "neutrino")
    response = client.get(endpoint, query_string=query, headers=JSON_ACCEPT)
    assert response.status_code in case.status, (response.status_code, response.get_data()[:500])
    assert response.is_json, response.get_data()[:300]
    if response.status_code == 400:
        assert_refused_naming_the_parameter(response, case)
    else:
        assert_no_more_than_anonymous_may_see(endpoint, response, anonymous_view, hidden_from_anonymous)


@pytest.mark.parametrize("endpoint", ["/api/records", "/api/models/search"])
def test_field_injection_finds_no_more_than_the_field_query(client, endpoint, hidden_from_anonymous):
    """Closing the field query and OR-ing match-all must not widen it beyond the field query itself."""
    plain = client.get(endpoint, query_string={"q": WITHOUT_THE_INJECTION, "size": 100}, headers=JSON_ACCEPT)
    hits, _ = hits_of(endpoint, plain.json)
    expected = {hit["id"] for hit in hits}
    assert expected and not expected & hidden_from_anonymous, expected
    response = client.get(endpoint, query_string={"q": FIELD_INJECTION, "size": 100}, headers=JSON_ACCEPT)
    assert response.status_code in (200, 400), response.get_data()[:300]
    if response.status_code == 200:
        hits, total = hits_of(endpoint, response.json)
        assert {hit["id"] for hit in hits} <= expected
        assert total <= len(expected)


def row_count(table):
    return db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE rdm_records_metadata; --", "1 UNION SELECT password FROM accounts_user"]
)
def test_sql_in_search_reaches_no_database(client, researcher, query):
    """SQL in a query is text to search: no table changes, no password hash comes back."""
    tables = ("rdm_records_metadata", "rdm_drafts_metadata", "accounts_user")
    before = {table: row_count(table) for table in tables}
    response = client.get("/api/records", query_string={"q": query}, headers=JSON_ACCEPT)
    assert response.status_code in (200, 400) and response.is_json, response.get_data()[:300]
    if response.status_code == 200:  # words such as "from" match records: only records come back
        hits = response.json["hits"]["hits"]
        assert all(set(hit) >= {"id", "metadata", "access"} for hit in hits), hits
        assert not any("password" in hit or "email" in hit for hit in hits), hits
    assert {table: row_count(table) for table in tables} == before
    password_hash = db.session.execute(
        sa.text("SELECT password FROM accounts_user WHERE id = :id"), {"id": researcher.id}
    ).scalar()
    assert password_hash and password_hash not in response.get_data(as_text=True)
