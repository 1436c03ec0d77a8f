"""Validation by a real Celery worker process over the Redis broker (not eager)."""

import io
import json
import shutil

import pytest
from invenio_access.permissions import system_identity
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.engine import dsl
from rest_helpers import (
    TWO_BIN_ENTRY,
    create_draft,
    model_metadata,
    publish,
    refresh_records_index,
    upload_file,
)
from test_validation_runs import MODEL_FILE, shifted_points
from worker_process import (
    celery_worker,
    through_the_broker,  # noqa: F401  (fixture, used by pytestmark)
    wait_for_figures,
    wait_for_verdict,
    worker_environment,
)

from demos_registry.cli import demos

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


def test_a_submission_asking_to_publish_is_published_when_the_worker_has_judged(
    celery_worker_process, client, api_headers, shared_models
):
    """POST /api/models?publish=true waits for the worker's verdict, then publishes: 201, not 409.

    The request once held the draft's row lock while it waited, so the worker could not write
    the verdict until the wait had run out (60 s, then 409 "still running").
    """
    entry = {
        **json.loads(TWO_BIN_ENTRY.read_text()),
        "model_id": "6d0c1f8e-4f55-4c1b-9a57-2b1f3c7d9e01",
        "name": "Published once the worker has judged",
        "reference_points": shifted_points(4.3e-9),  # inputs no other test sends: the engine runs
    }
    response = client.post(
        "/api/models?publish=true",
        headers={key: value for key, value in api_headers.items() if key != "Content-Type"},
        data={
            "metadata": json.dumps(entry),
            "file": [(io.BytesIO((shared_models / "pyhf" / MODEL_FILE).read_bytes()), MODEL_FILE)],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    record = client.get(f"/api/records/{response.json['id']}")
    assert record.status_code == 200 and record.json["status"] == "published"
    assert record.json["custom_fields"]["demos:validation"]["status"] == "passed"
    assert "validate_model" in celery_worker_process[1].read_text()


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


def entry_folder(parent, name, **changes):
    """A copy of the two-bin demo entry's folder with some entry values changed."""
    folder = parent / name
    shutil.copytree(TWO_BIN_ENTRY.parent, folder)
    (folder / "entry.json").write_text(json.dumps({**json.loads(TWO_BIN_ENTRY.read_text()), **changes}))
    return folder


def versions_of(model_id, drafts=False):
    """Model versions of a model id, published (all versions) or as drafts."""
    refresh_records_index()
    query = dsl.Q("term", **{"custom_fields.demos:model_id": model_id})
    if drafts:
        hits = current_rdm_records_service.search_drafts(system_identity, extra_filter=query).hits
    else:
        hits = current_rdm_records_service.search(
            system_identity, extra_filter=query, params={"allversions": True}
        ).hits
    return sorted(hit["custom_fields"]["demos:model_version"] for hit in hits)


def test_import_hands_the_validations_to_the_workers(celery_worker_process, app, tmp_path):
    """`invenio demos import --workers`: every draft first, then each published once judged.

    Two versions of one model go in turn (the second is made from the published first); a
    model whose verdict fails is reported with the reason and leaves no draft behind.
    """
    model_id, failing_id = "4f1d2c3b-5a69-4e7d-8c1b-0a2b3c4d5e6f", "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3f2e"
    points = shifted_points(5.3e-9)  # inputs no other test sends
    entry_folder(tmp_path, "a-first", model_id=model_id, version="1.0.0", reference_points=points)
    entry_folder(tmp_path, "b-second", model_id=model_id, version="2.0.0", reference_points=points)
    entry_folder(tmp_path, "c-failing", model_id=failing_id, reference_points=shifted_points(1e-3))

    result = app.test_cli_runner().invoke(demos, ["import", "--workers", str(tmp_path)])

    assert result.exit_code == 1, result.output
    assert "Submitting" in result.output and "Publishing as judged" in result.output
    assert "1 of 3 entries failed" in result.output
    assert "c-failing/entry.json" in result.output and "reference_points" in result.output
    assert "No Celery worker" not in result.output
    assert versions_of(model_id) == ["1.0.0", "2.0.0"]
    assert versions_of(failing_id) == [] and versions_of(failing_id, drafts=True) == []
    assert "validate_model" in celery_worker_process[1].read_text()
