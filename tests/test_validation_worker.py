"""Validation by a real Celery worker process over the Redis broker (not eager)."""

import io
import json

import pytest
from rest_helpers import create_draft, model_metadata, publish, upload_file
from test_validation_runs import MODEL_FILE, shifted_points
from worker_process import (
    celery_worker,
    through_the_broker,  # noqa: F401  (fixture, used by pytestmark)
    wait_for_figures,
    wait_for_verdict,
    worker_environment,
)

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("through_the_broker")]


@pytest.fixture(scope="module")
def celery_worker_process(app, instance_path, db_uri, search_hosts, broker_uri, tmp_path_factory):
    """`celery worker` in its own process, configured like the test app."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = worker_environment(app, instance_path, db_uri, search_hosts, broker_uri)
    with celery_worker(env, log) as worker:
        yield worker, log


def draft_with_file(client, headers, shared_models, **custom_fields):
    """Create a draft model and upload the two-bin file into it."""
    draft = create_draft(client, headers, model_metadata("Worker-validated model", **custom_fields)).json
    upload_file(client, headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    return draft["id"]


def test_worker_validates_an_upload_and_publishing_is_allowed(
    celery_worker_process, client, api_headers, shared_models
):
    """Upload → pending → the worker's verdict appears → publish succeeds."""
    draft_id = draft_with_file(client, api_headers, shared_models)
    assert client.get(f"/api/records/{draft_id}/validation", headers=api_headers).json["status"] in (
        "pending",
        "running",
        "passed",
    )
    state = wait_for_verdict(client, api_headers, draft_id)
    assert state["status"] == "passed", state
    assert "validate_model" in celery_worker_process[1].read_text()
    assert publish(client, api_headers, draft_id).status_code == 202

    # The figures follow the verdict in a task of their own, also when the draft was
    # published first: they end on the published record, its report names them.
    report = wait_for_figures(client, api_headers, draft_id)
    plots_check = next(check for check in report["checks"] if check["id"] == "plots")
    assert plots_check["status"] == "passed"
    assert {"scan.png", "yields_singlechannel.png"} == {figure["key"] for figure in report["plots"]}
    media = client.get(f"/api/records/{draft_id}/media-files").json["entries"]
    assert {"scan.png", "scan.svg", "scan.thumb.png"} <= {entry["key"] for entry in media}
    assert "draw_figures" in celery_worker_process[1].read_text()


def test_worker_verdict_failed_refuses_publication(celery_worker_process, client, api_headers, shared_models):
    """A model off by 1e-3 fails in the worker; publishing is a 400 with the reason."""
    draft_id = draft_with_file(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(1e-3)}
    )
    state = wait_for_verdict(client, api_headers, draft_id)
    assert state["status"] == "failed"
    response = publish(client, api_headers, draft_id)
    assert response.status_code == 400
    assert "reference_points" in response.json["errors"][0]["messages"][0]


def test_files_committed_while_the_worker_validates_are_all_kept(
    celery_worker_process, client, api_headers, shared_models
):
    """/api/records: more files committed while the worker writes the draft; none refused, none lost.

    The worker's verdict and the upload's checksum are both read-modify-writes of the
    draft (test_concurrent_writes.py makes that race deterministic); here with the real worker.
    """
    draft_id = draft_with_file(client, api_headers, shared_models)
    names = [MODEL_FILE]
    for number in range(4):
        name = f"notes-{number}.json"
        upload_file(client, api_headers, draft_id, name, json.dumps({"note": number}).encode())
        names.append(name)
    state = wait_for_verdict(client, api_headers, draft_id)
    draft = client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json
    assert {c["key"] for c in draft["custom_fields"]["demos:checksums"]} == set(names)
    assert state["status"] == "passed", state["history"]
    assert "notes-3.json" in " ".join(entry["reason"] for entry in state["history"])


def test_a_model_sent_as_two_files_is_validated_once_by_the_worker(
    celery_worker_process, client, api_headers, shared_models
):
    """POST /api/models with a workspace and its patchset: 201, one validation task, a verdict."""
    headers = {"Authorization": api_headers["Authorization"]}
    files = [
        (io.BytesIO((shared_models / "pyhf" / name).read_bytes()), name)
        for name in ("example_bkgonly.json", "example_patchset.json")
    ]
    entry = {
        "name": "Two files through the worker",
        "domain": "particle",
        "engine": "pyhf",
        "format": "pyhf-json",
    }
    response = client.post(
        "/api/models",
        headers=headers,
        data={"metadata": json.dumps(entry), "file": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    state = wait_for_verdict(client, headers, response.json["id"])
    assert state["status"] in ("passed", "needs_review"), state["history"]
    assert [entry["status"] for entry in state["history"]].count("running") == 1, state["history"]
    log = celery_worker_process[1].read_text()
    assert "PIDDoesNotExist" not in log and "failed (attempt" not in log
