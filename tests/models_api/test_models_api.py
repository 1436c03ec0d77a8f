"""Every endpoint of /api/models, /api/health, /api/info and /api/version on the live test app."""

import base64
import hashlib
import json
import re

import requests
from api_helpers import demo_model_upload
from invenio_access.permissions import system_identity
from invenio_db import db
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMRecord
from rest_helpers import SEED_ENTRY_KEYS, refresh_records_index

MULTIPART = "multipart/form-data"


def assert_json_error(response, status):
    """An error in the API's JSON shape."""
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/json"
    assert response.json["status"] == status
    assert response.json["message"]


def assert_live_json_error(response, status):
    """The same, for an answer of the live server (requests)."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["status"] == status and response.json()["message"]


def error_fields(response):
    """Field names of a 400's per-field errors."""
    return {error["field"] for error in response.json.get("errors", [])}


def upload(client, headers, query="", **changes):
    """POST a demo model with changes to its entry."""
    return client.post(
        f"/api/models{query}", headers=headers, data=demo_model_upload(**changes), content_type=MULTIPART
    )


def set_validation(app, record_id, state):
    """Store a validation state as the validation tasks would (a system-written field)."""
    with app.app_context():
        record = RDMRecord.pid.resolve(record_id)
        record["custom_fields"]["demos:validation"] = state
        record.commit()
        db.session.commit()
        current_rdm_records_service.indexer.index(record)
        refresh_records_index()


PASSED_WITH_PLOTS = {
    "status": "passed",
    "updated": "2026-11-23T12:00:00+00:00",
    "report": {
        "plots": ["prefit_yields.png"],
        "facts": [{"parameters": [{"name": "mu", "bounds": [0, 10]}], "n_parameters": 1}],
    },
}


def test_list_is_paginated_with_next_and_prev_links(client):
    refresh_records_index()
    first = client.get("/api/models", query_string={"size": 5})
    assert first.status_code == 200
    assert len(first.json["hits"]) == 5 and first.json["total"] >= 21
    assert "prev" not in first.json["links"]
    second = client.get(first.json["links"]["next"])
    assert second.status_code == 200 and second.json["page"] == 2
    assert "prev" in second.json["links"]
    assert {hit["id"] for hit in first.json["hits"]}.isdisjoint(hit["id"] for hit in second.json["hits"])
    hit = first.json["hits"][0]
    assert hit["status"] == "published" and hit["model_id"] and hit["links"]["file"].endswith("/file")


def test_bad_list_parameters_are_400_naming_the_field(client):
    for args, field in (({"size": 0}, "size"), ({"page": "abc"}, "page"), ({"sort": "random"}, "sort")):
        response = client.get("/api/models", query_string=args)
        assert_json_error(response, 400)
        assert field in error_fields(response)


def test_search_uses_invenio_query_syntax(client):
    refresh_records_index()
    response = client.get(
        "/api/models/search", query_string={"q": "custom_fields.demos\\:domain.id:neutrino"}
    )
    assert response.status_code == 200 and response.json["total"] >= 3
    assert {hit["domain"] for hit in response.json["hits"]} == {"neutrino"}
    free_text = client.get("/api/models/search", query_string={"q": "gamma"})
    assert any("gamma" in hit["name"].lower() for hit in free_text.json["hits"])
    assert_json_error(client.get("/api/models/search"), 400)


def test_filter_combines_facets(client):
    refresh_records_index()
    neutrino = client.get("/api/models/filter", query_string={"domain": "neutrino"})
    assert neutrino.status_code == 200 and neutrino.json["total"] >= 3
    assert {hit["domain"] for hit in neutrino.json["hits"]} == {"neutrino"}
    tagged = client.get("/api/models/filter", query_string={"domain": "astroparticle", "tag": "gamma-ray"})
    assert tagged.json["total"] >= 1
    assert all("gamma-ray" in hit["metadata"]["tags"] for hit in tagged.json["hits"])
    either = client.get("/api/models/filter", query_string=[("domain", "neutrino"), ("domain", "hadron")])
    assert either.json["total"] > neutrino.json["total"]
    engine = client.get(
        "/api/models/filter", query_string={"engine": "pyhf", "format": "pyhf-json", "size": 100}
    )
    assert engine.json["total"] >= 1 and {hit["engine"] for hit in engine.json["hits"]} == {"pyhf"}
    nothing = client.get("/api/models/filter", query_string={"domain": "no-such-domain"})
    assert nothing.status_code == 200 and nothing.json["total"] == 0


def test_read_and_metadata_of_a_model(client, demo_record_id):
    model = client.get(f"/api/models/{demo_record_id}")
    assert model.status_code == 200 and model.json["id"] == demo_record_id
    metadata = client.get(f"/api/models/{demo_record_id}/metadata")
    assert metadata.status_code == 200
    assert set(metadata.json) >= SEED_ENTRY_KEYS
    assert metadata.json["checksum"].startswith("sha256:")
    assert metadata.json["model_id"] == model.json["model_id"]


def test_unknown_ids_are_404_json(client):
    for path in (
        "/api/models/no-such-id",
        "/api/models/no-such-id/file",
        "/api/models/no-such-id/metadata",
        "/api/models/no-such-id/visualize",
        "/api/models/no-such-id/validation",
    ):
        assert_json_error(client.get(path), 404)


def test_file_download_with_range_digest_and_etag(client, demo_record_id):
    response = client.get(f"/api/models/{demo_record_id}/file")
    assert response.status_code == 200
    sha256 = hashlib.sha256(response.data).hexdigest()
    assert response.headers["ETag"] == f'"{sha256}"'
    assert response.headers["Digest"] == "sha-256=" + base64.b64encode(bytes.fromhex(sha256)).decode()
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "attachment" in response.headers["Content-Disposition"]
    metadata = client.get(f"/api/models/{demo_record_id}/metadata").json
    assert metadata["checksum"] == f"sha256:{sha256}"

    partial = client.get(f"/api/models/{demo_record_id}/file", headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206 and partial.data == response.data[:10]
    assert partial.headers["Content-Range"] == f"bytes 0-9/{len(response.data)}"
    unchanged = client.get(f"/api/models/{demo_record_id}/file", headers={"If-None-Match": f'"{sha256}"'})
    assert unchanged.status_code == 304
    beyond = client.get(
        f"/api/models/{demo_record_id}/file", headers={"Range": f"bytes={len(response.data) + 10}-"}
    )
    assert_json_error(beyond, 416)
    assert_json_error(
        client.get(f"/api/models/{demo_record_id}/file", query_string={"key": "nope.json"}), 404
    )


def test_upload_needs_a_token(live_api):
    form = demo_model_upload(name="Anonymous upload")
    files = [("file", (name, stream)) for stream, name in form["file"]]
    response = requests.post(
        f"{live_api}/models", data={"metadata": form["metadata"]}, files=files, timeout=60
    )
    assert_live_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_upload_submits_to_the_domain_community_for_review(
    client, live_api, researcher_headers, other_headers
):
    response = upload(client, researcher_headers, name="API review submission")
    assert response.status_code == 201, response.json
    model = response.json
    assert model["status"] == "in_review" and model["community_request"]
    assert model["domain"] == "astroparticle" and model["files"][0]["sha256"]
    assert client.get(f"/api/models/{model['id']}", headers=researcher_headers).json["status"] == "in_review"
    assert_json_error(client.get(f"/api/models/{model['id']}", headers=other_headers), 403)
    assert_live_json_error(requests.get(f"{live_api}/models/{model['id']}", timeout=60), 401)


def test_upload_with_publish_publishes(published_model, client):
    assert published_model["status"] == "published"
    assert published_model["name"] == "API fixture model" and published_model["version"] == "9.9.9"
    response = client.get(f"/api/models/{published_model['id']}")
    assert response.status_code == 200 and response.json["status"] == "published"


def test_bad_uploads_are_refused_and_leave_no_draft(client, researcher_headers):
    before = client.get("/api/user/records", headers=researcher_headers).json["hits"]["total"]
    bad_domain = upload(client, researcher_headers, name="Bad domain", domain="chemistry")
    assert_json_error(bad_domain, 400)
    assert "domain" in error_fields(bad_domain)
    no_file = client.post(
        "/api/models",
        headers=researcher_headers,
        data={"metadata": json.dumps({"name": "x"})},
        content_type=MULTIPART,
    )
    assert_json_error(no_file, 400)
    assert "file" in error_fields(no_file)
    not_json = client.post(
        "/api/models",
        headers=researcher_headers,
        data={"metadata": "{not json", "file": demo_model_upload()["file"]},
        content_type=MULTIPART,
    )
    assert_json_error(not_json, 400)
    as_json = client.post(
        "/api/models", headers={**researcher_headers, "Content-Type": "application/json"}, data="{}"
    )
    assert_json_error(as_json, 415)
    refresh_records_index()
    assert client.get("/api/user/records", headers=researcher_headers).json["hits"]["total"] == before


def test_update_by_owner_others_forbidden(
    client, live_api, published_model, researcher_headers, other_headers
):
    url = f"/api/models/{published_model['id']}"
    change = {"name": "API fixture model (renamed)", "metadata": {"tags": ["api-renamed"]}}
    assert_live_json_error(
        requests.put(f"{live_api}/models/{published_model['id']}", json=change, timeout=60), 401
    )
    assert_json_error(client.put(url, json=change, headers=other_headers), 403)
    response = client.put(url, json=change, headers=researcher_headers)
    assert response.status_code == 200, response.json
    assert response.json["name"] == "API fixture model (renamed)"
    assert response.json["metadata"]["tags"] == ["api-renamed"]
    assert response.json["domain"] == published_model["domain"]
    invalid = client.put(url, json={"domain": "chemistry"}, headers=researcher_headers)
    assert_json_error(invalid, 400)
    assert "domain" in error_fields(invalid)
    assert client.get(url).json["name"] == "API fixture model (renamed)"
    assert_json_error(
        client.put(url, data="not json", headers={**researcher_headers, "Content-Type": "application/json"}),
        400,
    )


def test_validate_is_accepted_with_a_status_url(
    client, live_api, published_model, researcher_headers, other_headers
):
    url = f"/api/models/{published_model['id']}/validate"
    assert_live_json_error(
        requests.post(f"{live_api}/models/{published_model['id']}/validate", timeout=60), 401
    )
    assert_json_error(client.post(url, headers=other_headers), 403)
    response = client.post(url, headers=researcher_headers)
    assert response.status_code == 202
    status_url = response.json["links"]["validation"]
    assert response.headers["Location"] == status_url
    status = client.get(status_url)
    assert status.status_code == 200 and status.json["id"] == published_model["id"]


def test_visualize_needs_a_validation_report(app, client, demo_record_id):
    set_validation(app, demo_record_id, {"status": "pending"})
    missing = client.get(f"/api/models/{demo_record_id}/visualize")
    assert_json_error(missing, 404)
    assert "Nothing to visualize" in missing.json["message"]
    set_validation(app, demo_record_id, PASSED_WITH_PLOTS)
    shown = client.get(f"/api/models/{demo_record_id}/visualize")
    assert shown.status_code == 200
    assert shown.json["plots"] == ["prefit_yields.png"] and shown.json["parameters"][0]["name"] == "mu"


def test_golden_list_holds_validated_models_with_checksums(app, client, demo_record_id, published_model):
    set_validation(app, demo_record_id, PASSED_WITH_PLOTS)
    set_validation(app, published_model["id"], {"status": "failed"})
    golden = client.get("/api/models/golden")
    assert golden.status_code == 200
    assert golden.json["count"] == len(golden.json["models"]) >= 1
    names = {model["name"] for model in golden.json["models"]}
    demo = client.get(f"/api/models/{demo_record_id}").json
    assert demo["name"] in names
    assert client.get(f"/api/models/{published_model['id']}").json["name"] not in names
    assert all(model["validation_status"] == "approved" for model in golden.json["models"])
    assert all(file["sha256"] for model in golden.json["models"] for file in model["files"])


def test_tag_autocomplete_is_case_insensitive(client):
    refresh_records_index()
    response = client.get("/api/models/tags", query_string={"prefix": "GAM"})
    assert response.status_code == 200
    tags = {item["tag"]: item["count"] for item in response.json["tags"]}
    assert tags.get("gamma-ray", 0) >= 1
    assert all(tag.lower().startswith("gam") for tag in tags)


def test_delete_is_for_administrators_and_leaves_a_tombstone(
    client, live_api, researcher_headers, admin_headers
):
    created = upload(client, researcher_headers, "?publish=true", name="API model to delete")
    assert created.status_code == 201, created.json
    url = f"/api/models/{created.json['id']}"
    pids_before = current_rdm_records_service.read(system_identity, created.json["id"]).to_dict()["pids"]
    assert_live_json_error(requests.delete(f"{live_api}/models/{created.json['id']}", timeout=60), 401)
    assert_json_error(client.delete(url, headers=researcher_headers), 403)
    deleted = client.delete(url, headers=admin_headers, query_string={"reason": "test-record"})
    assert deleted.status_code == 204, deleted.data
    gone = client.get(url)
    assert_json_error(gone, 410)
    assert gone.json["tombstone"]["removal_reason"]["id"] == "test-record"
    record = RDMRecord.pid.resolve(created.json["id"])
    assert record.deletion_status.is_deleted and record["pids"] == pids_before


def test_rate_limit_answers_429_with_retry_after(app, api_app, client):
    api_app.config["DEMOS_MODELS_API_RATELIMIT"] = "3 per minute"
    try:
        environ = {"REMOTE_ADDR": "127.0.0.77"}
        statuses = [client.get("/api/models/tags", environ_base=environ).status_code for _ in range(4)]
        limited = client.get("/api/models/tags", environ_base=environ)
    finally:
        api_app.config["DEMOS_MODELS_API_RATELIMIT"] = app.config["DEMOS_MODELS_API_RATELIMIT"]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    assert_json_error(limited, 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    named = re.search(r"retry after (\d+) s", limited.json["message"])
    assert named and abs(int(named.group(1)) - int(limited.headers["Retry-After"])) <= 1, (
        "the message and Retry-After name the same wait",
        limited.json["message"],
        limited.headers["Retry-After"],
    )


def test_errors_are_json_never_html(client):
    assert_json_error(client.patch("/api/models"), 405)
    assert_json_error(client.get("/api/models/no-such-id", headers={"Accept": "text/html"}), 404)
    assert_json_error(
        client.get("/api/models", query_string={"size": "many"}, headers={"Accept": "text/html"}), 400
    )


def test_health_checks_each_component(client):
    """The test app runs no Celery worker: 503, the worker down, every other component up."""
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json["status"] == "error"
    components = response.json["components"]
    assert set(components) == {"db", "search", "broker", "worker", "storage"}
    for name, component in components.items():
        assert set(component) == {"status", "detail", "seconds"}, name
        assert isinstance(component["seconds"], float) and component["seconds"] >= 0
    assert [name for name, component in components.items() if component["status"] == "ok"] == [
        "db",
        "search",
        "broker",
        "storage",
    ]
    assert components["worker"]["status"] == "error"
    assert components["worker"]["detail"] == "ConnectionError: no Celery worker answered within 0.5 s"
    assert components["db"]["detail"] == "PostgreSQL answered"


def test_info_and_version(client):
    version = client.get("/api/version")
    assert version.status_code == 200 and version.json["api_version"] == "1.0"
    info = client.get("/api/info")
    assert info.status_code == 200
    assert info.json["models"] >= 21 and info.json["domains"]["neutrino"] >= 3
    assert info.json["links"]["openapi"].endswith("/api/models/openapi.json")


def test_openapi_document_and_swagger_ui(client):
    document = client.get("/api/models/openapi.json")
    assert document.status_code == 200 and document.json["openapi"].startswith("3.")
    paths = document.json["paths"]
    assert {"get", "post"} <= set(paths["/models"])
    assert {"get", "put", "delete"} <= set(paths["/models/{pid_value}"])
    for path in (
        "/models/search",
        "/models/filter",
        "/models/golden",
        "/models/tags",
        "/models/{pid_value}/file",
        "/models/{pid_value}/metadata",
        "/models/{pid_value}/validate",
        "/models/{pid_value}/visualize",
        "/health",
        "/info",
        "/version",
    ):
        assert path in paths
    docs = client.get("/api/models/docs")
    assert docs.status_code == 200 and b"swagger-ui-bundle.js" in docs.data
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-init.js"):
        assert client.get(f"/api/models/docs/static/{asset}").status_code == 200
