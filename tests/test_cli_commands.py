"""``invenio demos export`` and ``revalidate`` on records of this test, and the beat task of stuck validations."""

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from celery import current_app as current_celery
from rest_helpers import (
    BELLE2_DOI,
    SEED_ENTRY_KEYS,
    TWO_BIN_REFERENCE_POINTS,
    create_draft,
    model_metadata,
    publish,
    upload_file,
)
from test_validation_runs import MODEL_FILE
from worker_process import through_the_broker  # noqa: F401  (fixture)

from demos_registry.cli import demos
from demos_registry.validation_runs.tasks import SWEEPER

"""The keys of the registry entry in seed 000 ("Data Structure")."""
SWEEP = "demos-requeue-stale-validations"
VERDICTS = ("passed", "failed", "needs_review")


def model_draft(client, headers, shared_models, title):
    """A model draft with the two-bin file uploaded (validated eagerly in tests); its id."""
    draft = create_draft(client, headers, model_metadata(title)).json
    upload_file(client, headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    return draft["id"]


def published_model(client, headers, shared_models, title):
    """A published model; its record id."""
    record_id = model_draft(client, headers, shared_models, title)
    assert publish(client, headers, record_id).status_code == 202
    return record_id


def validation(client, headers, record_id):
    """The validation state of a record as the API shows it."""
    return client.get(f"/api/records/{record_id}/validation", headers=headers).json


def run_cli(app, *args):
    """``invenio demos ARGS`` in the test app."""
    return app.test_cli_runner().invoke(demos, list(args))


def assert_clear_error(result, message):
    """The command ended with a Click error message (exit 1), not an escaped exception."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output


def test_export_prints_the_registry_entry_of_a_published_model(app, client, api_headers, shared_models):
    """The printed JSON is the seed's entry with the record's values."""
    title = f"Exported model {uuid.uuid4().hex[:8]}"
    record_id = published_model(client, api_headers, shared_models, title)
    record = client.get(f"/api/records/{record_id}", headers=api_headers).json

    result = run_cli(app, "export", record_id)

    assert result.exit_code == 0, result.output
    entry = json.loads(result.output)
    assert set(entry) >= SEED_ENTRY_KEYS
    digest = hashlib.sha256((shared_models / "pyhf" / MODEL_FILE).read_bytes()).hexdigest()
    assert entry["model_id"] == record["custom_fields"]["demos:model_id"]
    assert (entry["name"], entry["version"], entry["doi"]) == (title, "1.0.0", BELLE2_DOI)
    assert (entry["domain"], entry["collaboration"]) == ("particle", "Belle II")
    assert entry["file_location"].endswith(f"/records/{record_id}/files/{MODEL_FILE}")
    assert entry["checksum"] == f"sha256:{digest}"
    assert entry["reference_points"] == TWO_BIN_REFERENCE_POINTS
    assert entry["metadata"] == {
        "tags": ["B-meson", "rare-decay", "neutrino"],
        "search_keywords": ["penguin", "missing energy"],
        "citations": ["Belle II, Phys. Rev. D 109, 112006 (2024)"],
    }
    assert entry["validation_status"] == "approved"
    assert entry["submission_date"] == "2024-11-05"


def test_export_of_an_unknown_id_is_a_clear_error(app):
    """No traceback: a non-zero exit and the id that was not found."""
    result = run_cli(app, "export", "nope0-00000")
    assert_clear_error(result, "no published record 'nope0-00000'")


def test_export_of_an_unpublished_draft_is_a_clear_error(app, client, api_headers, shared_models):
    """A draft has no registry entry yet: the same clear error as an unknown id."""
    draft_id = model_draft(client, api_headers, shared_models, "Never published")
    result = run_cli(app, "export", draft_id)
    assert_clear_error(result, f"no published record {draft_id!r}")


def test_revalidate_queues_exactly_the_given_records(app, client, api_headers, shared_models):
    """Each given record gets pending → running → verdict by the re-validation; the others nothing."""
    suffix = uuid.uuid4().hex[:8]
    chosen = [
        published_model(client, api_headers, shared_models, f"Revalidated {n} {suffix}") for n in (1, 2)
    ]
    untouched = published_model(client, api_headers, shared_models, f"Not revalidated {suffix}")
    before = {rid: validation(client, api_headers, rid)["history"] for rid in [*chosen, untouched]}

    result = run_cli(app, "revalidate", *chosen)

    assert result.exit_code == 0, result.output
    assert "2 validations queued" in result.output
    for record_id in chosen:
        state = validation(client, api_headers, record_id)
        added = state["history"][len(before[record_id]) :]
        assert [entry["status"] for entry in added] == ["pending", "running", state["status"]]
        assert state["status"] in VERDICTS
        assert added[0]["actor"] == {"type": "system", "id": "revalidation"}
    assert validation(client, api_headers, untouched)["history"] == before[untouched]


@pytest.fixture()
def unconsumed_queue():
    """Afterwards, drop the queued validations that no worker took."""
    yield
    current_celery.control.purge()


@pytest.mark.usefixtures("unconsumed_queue")
def test_revalidate_leaves_the_records_pending_for_the_worker(
    app, client, api_headers, shared_models, request
):
    """With a broker (as in production) the command only queues: the records are pending at once."""
    record_id = published_model(client, api_headers, shared_models, f"Queued {uuid.uuid4().hex[:8]}")
    request.getfixturevalue("through_the_broker")  # validated and published first, then no worker
    result = run_cli(app, "revalidate", record_id)
    assert result.exit_code == 0, result.output
    state = validation(client, api_headers, record_id)
    assert state["status"] == "pending"
    assert state["history"][-1]["actor"] == {"type": "system", "id": "revalidation"}


def test_revalidate_of_an_unknown_id_is_a_clear_error(app):
    """No traceback: a non-zero exit and the id that was not found."""
    result = run_cli(app, "revalidate", "nope0-00000")
    assert_clear_error(result, "no record 'nope0-00000'")


def test_revalidate_needs_ids_or_all(app):
    """Nothing to do is a usage error, not a silent success."""
    result = run_cli(app, "revalidate")
    assert result.exit_code == 2
    assert "give record ids or --all" in result.output


@pytest.mark.slow
def test_the_worker_beat_schedules_the_stale_validation_sweep(app, instance_path):
    """What ``celery --app invenio_app.celery worker --beat`` loads: the sweep, every 5 minutes, registered."""
    script = (
        "import json\n"
        "from invenio_app.celery import celery\n"
        "celery.loader.import_default_modules()  # what a starting worker does\n"
        f"entry = celery.conf.beat_schedule[{SWEEP!r}]\n"
        "print(json.dumps({'task': entry['task'], 'seconds': entry['schedule'].total_seconds(),\n"
        "                  'registered': entry['task'] in celery.tasks}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "INVENIO_INSTANCE_PATH": instance_path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    worker_view = json.loads(result.stdout.strip().splitlines()[-1])
    assert worker_view == {
        "task": "demos_registry.validation_runs.tasks.requeue_stale_validations",
        "seconds": 300.0,
        "registered": True,
    }
    assert timedelta(seconds=worker_view["seconds"]) < app.config["DEMOS_VALIDATION_STALE_AFTER"]


@pytest.mark.usefixtures("through_the_broker", "unconsumed_queue")
def test_the_scheduled_task_requeues_a_stuck_validation(app, client, api_headers, shared_models, monkeypatch):
    """The task the beat entry names sweeps with DEMOS_VALIDATION_STALE_AFTER and writes the trail."""
    monkeypatch.setitem(app.config, "DEMOS_VALIDATION_STALE_AFTER", timedelta(seconds=2))
    draft_id = model_draft(client, api_headers, shared_models, f"Stuck {uuid.uuid4().hex[:8]}")
    assert validation(client, api_headers, draft_id)["status"] == "pending"  # no worker took it
    time.sleep(2.5)

    task = current_celery.tasks[app.config["CELERY_BEAT_SCHEDULE"][SWEEP]["task"]]
    with app.app_context():  # the task reads the config of the context it runs in: `app`'s
        # .result, not .get(): a task stack left by an earlier module makes Celery refuse get().
        swept = task.apply()
        assert swept.successful(), swept.traceback
        assert swept.result >= 1

    sweeps = [e for e in validation(client, api_headers, draft_id)["history"] if e["actor"] == SWEEPER]
    assert len(sweeps) == 1 and "re-queue 1" in sweeps[0]["reason"], sweeps
