"""DOI registration by a real Celery worker running tasks side by side, as in production.

Publishing queues the version DOI's and the concept DOI's registration at once.
With two worker processes both tasks ran concurrently and wrote the same record row:
the second failed with ``StaleDataError`` and the concept DOI stayed reserved until
the retry sweep (minutes later). No sweep runs here (the worker has no beat), so a
concept DOI registered within seconds was registered by the publication's own tasks.
"""

import time
import uuid

import pytest
from celery import current_app as current_celery
from flask import current_app
from invenio_db import db
from invenio_pidstore.models import PersistentIdentifier, PIDStatus
from rest_helpers import create_draft, model_metadata, upload_file
from worker_process import celery_worker, worker_environment

pytestmark = [pytest.mark.worker]

MODEL_FILE = "2-bin_1-channel.json"
REGISTRATION_TIMEOUT = 60
"""Seconds; the tasks take well under one on an idle machine, the sweep would take minutes."""


@pytest.fixture(scope="module")
def doi_worker(app, instance_path, db_uri, search_hosts, broker_uri, datacite, tmp_path_factory):
    """`celery worker --concurrency 2` with the tests' DataCite settings."""
    log = tmp_path_factory.mktemp("doi-worker") / "worker.log"
    settings = {
        name: repr(current_app.config[name])  # literal_eval'd by invenio-config: "10.80000" stays a string
        for name in (
            "DATACITE_ENABLED",
            "DATACITE_URL",
            "DATACITE_PREFIX",
            "DATACITE_USERNAME",
            "DATACITE_PASSWORD",
            "DATACITE_TEST_MODE",
            "DATACITE_TIMEOUT",
            "SITE_UI_URL",
            "SITE_API_URL",
        )
    }
    env = worker_environment(app, instance_path, db_uri, search_hosts, broker_uri, **settings)
    with celery_worker(env, log, concurrency=2):
        yield log


def validated_draft(client, api_headers, shared_models, title):
    """A model draft with its file, validated in this process (before tasks go to the broker)."""
    response = create_draft(client, api_headers, model_metadata(f"{title} {uuid.uuid4().hex[:8]}"))
    assert response.status_code == 201, response.json
    draft_id = response.json["id"]
    content = (shared_models / "pyhf" / MODEL_FILE).read_bytes()
    upload_file(client, api_headers, draft_id, MODEL_FILE, content)
    return draft_id


def wait_until_registered(*dois):
    """Wait for the worker to register the DOIs; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < REGISTRATION_TIMEOUT:
        db.session.expire_all()
        if all(PersistentIdentifier.get("doi", doi).status == PIDStatus.REGISTERED for doi in dois):
            return time.monotonic() - started
        time.sleep(0.5)
    statuses = {doi: PersistentIdentifier.get("doi", doi).status for doi in dois}
    pytest.fail(f"not registered within {REGISTRATION_TIMEOUT} s: {statuses}")


def test_concurrent_tasks_register_concept_doi_without_the_sweep(
    doi_worker, datacite, client, api_headers, shared_models, publish_model, monkeypatch
):
    """Version and concept DOI registered by two concurrent tasks; then v2 links v1 both ways."""
    first_draft = validated_draft(client, api_headers, shared_models, "Worker-registered model")
    monkeypatch.setattr(current_celery.conf, "task_always_eager", False)
    first = publish_model(None, draft_id=first_draft)
    doi, concept_doi = first["pids"]["doi"]["identifier"], first["parent"]["pids"]["doi"]["identifier"]
    wait_until_registered(doi, concept_doi)
    on_datacite = datacite.dois()
    assert on_datacite[doi.lower()]["state"] == on_datacite[concept_doi.lower()]["state"] == "findable"

    monkeypatch.setattr(current_celery.conf, "task_always_eager", True)
    draft = client.post(f"/api/records/{first['id']}/versions", headers=api_headers).json
    client.post(f"/api/records/{draft['id']}/draft/actions/files-import", headers=api_headers)
    draft["metadata"].update(version="v2", publication_date="2025-01-01")
    assert client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=draft).status_code == 200
    monkeypatch.setattr(current_celery.conf, "task_always_eager", False)
    second = publish_model(None, draft_id=draft["id"])
    second_doi = second["pids"]["doi"]["identifier"]
    wait_until_registered(second_doi)

    deadline = time.monotonic() + REGISTRATION_TIMEOUT
    while (second_doi.lower(), "IsPreviousVersionOf") not in {
        (item["relatedIdentifier"].lower(), item["relationType"])
        for item in datacite.dois()[doi.lower()].get("relatedIdentifiers", [])
    }:
        assert time.monotonic() < deadline, "v1 never got IsPreviousVersionOf v2 on DataCite"
        time.sleep(0.5)

    log = doi_worker.read_text()
    assert "register_or_update_pid" in log
    assert "StaleDataError" not in log, log[-3000:]
