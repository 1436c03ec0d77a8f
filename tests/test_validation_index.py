"""The search index holds the summary of a model's validation; the record keeps report and trail.

site/demos_registry/validation_runs/index.py: search hits carry status, engines, inputs and
the count of checks by status; the report and the decision trail are read from the record
(GET, the validation endpoint), and only by whom may read the record.
"""

import uuid
from collections import Counter

from flask import g
from flask_principal import AnonymousIdentity
from invenio_search import current_search_client
from invenio_search.utils import build_alias_name
from test_search_aggregations import published

from demos_registry.lineage.ext import lineage_of
from demos_registry.validation_runs.index import index_summary


def hit_of(client, tag, headers=None, **params):
    """The one search hit tagged ``tag`` (None if the search finds none)."""
    response = client.get("/api/records", query_string={"q": f'"{tag}"', **params}, headers=headers or {})
    assert response.status_code == 200, response.json
    hits = response.json["hits"]["hits"]
    assert len(hits) <= 1
    return hits[0] if hits else None


def test_hits_carry_the_summary_and_the_record_the_whole_verdict(client, api_headers, shared_models):
    tag = f"idx{uuid.uuid4().hex[:10]}"
    record_id = published(client, api_headers, shared_models, tag)
    stored = client.get(f"/api/records/{record_id}").json["custom_fields"]["demos:validation"]
    assert stored["status"] == "passed"
    assert len(stored["report"]["checks"]) >= 3 and len(stored["history"]) >= 3

    indexed = hit_of(client, tag)["custom_fields"]["demos:validation"]
    assert "report" not in indexed and "history" not in indexed
    assert indexed["status"] == "passed"
    assert indexed["engines"] == stored["engines"]
    assert indexed["inputs"] == stored["inputs"]
    assert indexed["checks"] == dict(Counter(check["status"] for check in stored["report"]["checks"]))

    found = current_search_client.search(
        index=build_alias_name("rdmrecords-records"), body={"query": {"term": {"id": record_id}}}
    )
    document = found["hits"]["hits"][0]["_source"]
    assert set(document["custom_fields"]["demos:validation"]) == set(indexed)

    # Facet, filter and the validation endpoint still work from what is stored where.
    assert hit_of(client, tag, validation="passed")["id"] == record_id
    assert hit_of(client, tag, validation="failed") is None
    trail = client.get(f"/api/records/{record_id}/validation").json
    assert [entry["status"] for entry in trail["history"]] == [entry["status"] for entry in stored["history"]]


EXPECTED_FOR_ANONYMOUS = {"records": 401, "models": 401}
"""Both verdict endpoints ask an anonymous caller to log in (the records one answered 500 before:
RecordPermissionDeniedError is no PermissionDeniedError)."""


def test_a_restricted_model_s_report_is_read_by_no_one_else(app, client, api_headers, shared_models):
    tag = f"idx{uuid.uuid4().hex[:10]}"
    record_id = published(client, api_headers, shared_models, tag, access="restricted")
    assert (
        "report"
        in client.get(f"/api/records/{record_id}", headers=api_headers).json["custom_fields"][
            "demos:validation"
        ]
    )
    assert client.get(f"/api/records/{record_id}").status_code == 403
    for url in (f"/api/records/{record_id}/validation", f"/api/models/{record_id}/validation"):
        response = client.get(url)
        assert (url, response.status_code) == (url, EXPECTED_FOR_ANONYMOUS[url.split("/")[2]])
        assert "report" not in response.get_data(as_text=True)
    assert hit_of(client, tag) is None
    assert hit_of(client, tag, headers=api_headers)["id"] == record_id
    # The landing page's lineage list leaves the model out for whom may not read it.
    with app.test_request_context():
        g.identity = AnonymousIdentity()
        assert lineage_of(record_id) is None


def test_the_summary_of_a_running_validation_keeps_its_progress():
    running = {
        "status": "running",
        "updated": "2026-12-07T12:00:00+00:00",
        "progress": {"done": 3, "total": 650},
        "history": [{"status": "pending"}, {"status": "running"}],
    }
    assert index_summary(running) == {
        "status": "running",
        "updated": "2026-12-07T12:00:00+00:00",
        "progress": {"done": 3, "total": 650},
    }
