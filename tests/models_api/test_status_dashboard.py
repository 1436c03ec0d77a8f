"""GET /api/models/status: the administrators' dashboard of the last hour and day."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from invenio_db import db
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMRecord
from rest_helpers import refresh_records_index

from demos_registry.status_dashboard.api_responses import BUCKET_SECONDS, response_counts


def store_custom_field(app, record_id, name, value):
    """Write a system field as the registry's tasks do, and reindex."""
    with app.app_context():
        record = RDMRecord.pid.resolve(record_id)
        previous = record["custom_fields"].get(name)
        record["custom_fields"][name] = value
        record.commit()
        db.session.commit()
        current_rdm_records_service.indexer.index(record)
    refresh_records_index()
    return previous


@pytest.fixture
def failed_and_unregistered(app, published_model):
    """The fixture model: validation failed just now, its version DOI pending at DataCite."""
    now = datetime.now(UTC).isoformat()
    validation = store_custom_field(
        app, published_model["id"], "demos:validation", {"status": "failed", "updated": now}
    )
    doi = store_custom_field(
        app,
        published_model["id"],
        "demos:doi_registration",
        {"version": {"doi": "10.80000/test-1", "status": "pending", "attempts": 2, "last_attempt": now}},
    )
    yield published_model
    store_custom_field(app, published_model["id"], "demos:validation", validation)
    store_custom_field(app, published_model["id"], "demos:doi_registration", doi)


def test_status_is_for_administrators_only(client, researcher_headers):
    anonymous = client.get("/api/models/status")
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/json"
    assert client.get("/api/models/status", headers=researcher_headers).status_code == 403


def test_status_counts_the_last_hour_and_day(client, admin_headers, failed_and_unregistered):
    response = client.get("/api/models/status", headers=admin_headers)
    assert response.status_code == 200, response.json
    status = response.json
    for window in ("last_hour", "last_day"):
        activity = status[window]
        assert activity["submissions"]["published"] >= 1
        assert activity["validations"]["by_status"].get("failed", 0) >= 1
        failed = {record["id"]: record for record in activity["validations"]["failed"]}
        assert failed_and_unregistered["id"] in failed
        assert failed[failed_and_unregistered["id"]]["links"]["html"].endswith(
            f"/records/{failed_and_unregistered['id']}"
        )
        assert activity["api"]["requests"] >= 1
    assert status["last_day"]["submissions"]["published"] >= status["last_hour"]["submissions"]["published"]
    pending = status["doi_registrations"]["pending"]
    assert pending["count"] >= 1 and failed_and_unregistered["id"] in {r["id"] for r in pending["records"]}
    assert set(status["queues"]) >= {"validation"} and all(
        length is None or length >= 0 for length in status["queues"].values()
    )
    assert isinstance(status["workers"], int)


def test_the_oldest_waiting_validation_is_named(app, client, admin_headers, published_model):
    queued = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    previous = store_custom_field(
        app, published_model["id"], "demos:validation", {"status": "pending", "updated": queued}
    )
    try:
        oldest = client.get("/api/models/status", headers=admin_headers).json["oldest_waiting_validation"]
        assert oldest["queued"] <= queued and oldest["waiting_seconds"] >= 30 * 60
        assert oldest["links"]["self"].startswith("http")
    finally:
        store_custom_field(app, published_model["id"], "demos:validation", previous)


def test_api_answers_and_errors_are_counted(app, client):
    # The hour is counted in five-minute buckets: when a bucket boundary passes between the two
    # readings, the oldest bucket leaves the window (with whatever it counted), so measure again.
    for _attempt in range(3):
        bucket = int(time.time()) // BUCKET_SECONDS
        with app.app_context():
            before = response_counts(3600)
        assert client.get("/api/models/no-such-model").status_code == 404
        assert client.get("/api/models", query_string={"size": 1}).status_code == 200
        with app.app_context():
            after = response_counts(3600)
        if int(time.time()) // BUCKET_SECONDS == bucket:
            break
    assert after["requests"] == before["requests"] + 2
    assert after["client_errors"] == before["client_errors"] + 1
    assert after["error_rate"] == round(after["server_errors"] / after["requests"], 4)
