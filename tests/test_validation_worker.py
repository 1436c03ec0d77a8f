"""Validation by a real Celery worker process over the Redis broker (not eager)."""

import os
import subprocess
import sys
import time

import pytest
from celery import current_app as current_celery
from rest_helpers import create_draft, model_metadata, publish, upload_file
from test_model_validation import MODEL_FILE, shifted_points

pytestmark = pytest.mark.worker

WORKER_START_TIMEOUT = 60
VERDICT_TIMEOUT = 180


@pytest.fixture(scope="module")
def celery_worker_process(app, instance_path, db_uri, search_hosts, broker_uri, tmp_path_factory):
    """`celery worker` in its own process, configured like the test app."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "INVENIO_INSTANCE_PATH": instance_path,
        "INVENIO_SQLALCHEMY_DATABASE_URI": db_uri,
        "INVENIO_SEARCH_HOSTS": repr(search_hosts),
        "INVENIO_BROKER_URL": broker_uri,
        "INVENIO_CELERY_BROKER_URL": broker_uri,
        "INVENIO_CACHE_REDIS_URL": app.config["CACHE_REDIS_URL"],
        "INVENIO_ACCOUNTS_SESSION_REDIS_URL": app.config["ACCOUNTS_SESSION_REDIS_URL"],
        "INVENIO_CELERY_RESULT_BACKEND": app.config["CACHE_REDIS_URL"],
        "INVENIO_CELERY_TASK_ALWAYS_EAGER": "False",
    }
    with open(log, "w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "invenio_app.celery", "worker",
             "--concurrency", "1", "--queues", "celery", "--without-gossip", "--without-mingle",
             "--loglevel", "INFO"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while "ready." not in log.read_text():
        assert worker.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the worker did not start:\n" + log.read_text()[-3000:]
        time.sleep(0.5)
    yield worker, log
    worker.terminate()
    worker.wait(timeout=30)


@pytest.fixture()
def through_the_broker(monkeypatch):
    """Send tasks to the broker instead of running them in the test process."""
    monkeypatch.setattr(current_celery.conf, "task_always_eager", False)


def wait_for_verdict(client, headers, draft_id):
    """Poll the draft until its validation has finished; returns the state."""
    deadline = time.monotonic() + VERDICT_TIMEOUT
    while time.monotonic() < deadline:
        state = client.get(f"/api/records/{draft_id}/validation", headers=headers).json
        if state.get("status") in ("passed", "failed", "needs_review"):
            return state
        time.sleep(1)
    pytest.fail(f"no verdict within {VERDICT_TIMEOUT} s: {state}")


def draft_with_file(client, headers, shared_models, **custom_fields):
    """Create a draft model and upload the two-bin file into it."""
    draft = create_draft(client, headers, model_metadata("Worker-validated model", **custom_fields)).json
    upload_file(client, headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    return draft["id"]


def test_worker_validates_an_upload_and_publishing_is_allowed(
    celery_worker_process, through_the_broker, client, api_headers, shared_models
):
    """Upload → pending → the worker's verdict appears → publish succeeds."""
    draft_id = draft_with_file(client, api_headers, shared_models)
    assert client.get(f"/api/records/{draft_id}/validation", headers=api_headers).json["status"] in (
        "pending", "running", "passed")
    state = wait_for_verdict(client, api_headers, draft_id)
    assert state["status"] == "passed", state
    assert "validate_model" in celery_worker_process[1].read_text()
    assert publish(client, api_headers, draft_id).status_code == 202


def test_worker_verdict_failed_refuses_publication(
    celery_worker_process, through_the_broker, client, api_headers, shared_models
):
    """A model off by 1e-3 fails in the worker; publishing is a 400 with the reason."""
    draft_id = draft_with_file(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(1e-3)}
    )
    state = wait_for_verdict(client, api_headers, draft_id)
    assert state["status"] == "failed"
    response = publish(client, api_headers, draft_id)
    assert response.status_code == 400
    assert "reference_points" in response.json["errors"][0]["messages"][0]
