"""Fault: the Celery worker is killed (SIGKILL) in the middle of a validation.

``validate_model`` is acknowledged late, so the broker still holds its message when the
worker dies: a new worker receives it again and the draft ends validated. With RabbitMQ
the message is back at once (the dead worker's connection closed); with Redis it comes
back after the broker transport's ``visibility_timeout``, shortened here so that the test
does not wait the production half hour. Both brokers are exercised when RabbitMQ runs
on this machine; the Redis case always runs.
"""

import io
import json
import os
import re
import tarfile
import time
import uuid
from pathlib import Path

import pytest
from celery import current_app as current_celery
from kombu import Connection
from kombu.exceptions import OperationalError
from rest_helpers import create_draft, model_metadata, upload_file
from worker_process import (
    celery_worker,
    kill_worker,
    through_the_broker,  # noqa: F401  (fixture, used by pytestmark)
    validation_state,
    wait_for_verdict,
    worker_environment,
)

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.usefixtures("through_the_broker")]

RABBITMQ_URL = os.environ.get("DEMOS_TEST_RABBITMQ_URL", "amqp://guest:guest@localhost:5672//")
REDIS_VISIBILITY_TIMEOUT = 15
"""Seconds after which Redis hands a dead worker's message out again (production: 1800)."""
RUNNING_TIMEOUT = 120
REDELIVERY_TIMEOUT = 240

DEMO_MODELS = Path(__file__).resolve().parents[2] / "app_data" / "demo_models"
SBOTTOM = "atlas-sbottom-ins1748602"
"""The ATLAS full likelihood: several seconds of validation, long enough to be killed inside."""


def rabbitmq_reachable():
    """True if the RabbitMQ of RABBITMQ_URL accepts a connection."""
    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except (OSError, OperationalError):
        return False


@pytest.fixture(scope="module", params=["rabbitmq", "redis"])
def delivery(request, broker_uri):
    """Broker URL, queues and worker settings of one broker; the tasks' own queue is removed after.

    On RabbitMQ (shared by every suite and a running registry of this machine, one vhost) the
    tasks go to a queue of their own; the indexer queues stay on the test Redis.
    """
    if request.param == "redis":
        options = {
            "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
        yield {
            "url": broker_uri,
            "queue": "celery",
            "validation_queue": "validation",
            "worker": {"CELERY_BROKER_TRANSPORT_OPTIONS": repr(options)},
        }
        return
    if not rabbitmq_reachable():
        pytest.skip(f"RabbitMQ is not reachable at {RABBITMQ_URL}: only the Redis broker case runs")
    queue = f"demos-fault-tests-{uuid.uuid4().hex[:12]}"
    yield {
        "url": RABBITMQ_URL,
        "queue": queue,
        "validation_queue": queue,
        "worker": {"CELERY_TASK_DEFAULT_QUEUE": queue, "DEMOS_VALIDATION_QUEUE": queue},
    }
    with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.exchange_delete(queue)


@pytest.fixture(scope="module")
def app_config(app_config, delivery):
    """Tasks go to the broker (and queue) under test."""
    app_config.update(
        CELERY_BROKER_URL=delivery["url"],
        CELERY_TASK_DEFAULT_QUEUE=delivery["queue"],
        DEMOS_VALIDATION_QUEUE=delivery["validation_queue"],
    )
    return app_config


@pytest.fixture()
def fresh_broker_connections(monkeypatch):
    """Producer connections to the broker under test, the session's pools restored after.

    Celery caches its connection and producer pools per process on first use, so a
    broker switched by this module's config would otherwise not be used.
    """
    monkeypatch.setattr(current_celery, "_pool", None)
    monkeypatch.setattr(current_celery.amqp, "_producer_pool", None)


@pytest.fixture()
def start_worker(
    fresh_broker_connections, app, instance_path, db_uri, search_hosts, broker_uri, delivery, tmp_path
):
    """Start workers on the broker under test (each stopped after the test); returns (worker, log)."""
    env = worker_environment(
        app,
        instance_path,
        db_uri,
        search_hosts,
        broker_uri,
        QUEUES_BROKER_URL=broker_uri,
        CELERY_BROKER_URL=delivery["url"],
        CELERY_WORKER_ENABLE_REMOTE_CONTROL="False",
        # The run itself is what is killed here; the 650 signal points (tests/test_patch_fanout.py) stay out.
        DEMOS_VALIDATION_MAX_PATCH_POINTS="0",
        **delivery["worker"],
    )
    started = []

    def start(name, **settings):
        log = tmp_path / f"{name}.log"
        queues = ",".join(dict.fromkeys([delivery["queue"], delivery["validation_queue"]]))
        context = celery_worker(
            {**env, **{f"INVENIO_{key}": value for key, value in settings.items()}}, log, queue=queues
        )
        started.append(context)
        return context.__enter__(), log

    yield start
    for context in reversed(started):
        context.__exit__(None, None, None)


def sbottom_draft(client, headers, shared_models, archive=None):
    """A draft of the ATLAS sbottom likelihood whose upload queues its validation.

    Its reference points carry a label of their own: inputs no earlier run had, so the engine
    runs (the demo model's identical content would take the report computed at set-up).
    """
    entry = json.loads((DEMO_MODELS / SBOTTOM / "entry.json").read_text())
    token = uuid.uuid4().hex[:8]
    payload = model_metadata(
        f"Killed-worker model {token}",
        **{
            "demos:reference_points": [
                {**point, "label": f"{point['label']} ({token})"} for point in entry["reference_points"]
            ],
            "demos:model_selection": entry["model_selection"],
        },
    )
    draft = create_draft(client, headers, payload).json
    archive = archive or shared_models / SBOTTOM / entry["file_location"]
    upload_file(client, headers, draft["id"], archive.name, archive.read_bytes())
    return draft["id"]


def received_tasks(log, task="validate_model"):
    """Ids of the tasks of one kind (by default the validations) a worker received, from its log."""
    return set(re.findall(rf"{task}\[([0-9a-f-]+)\] received", log.read_text()))


def wait_until_running(client, headers, draft_id):
    """Poll (fast) until the worker has started the validation; returns the state."""
    deadline = time.monotonic() + RUNNING_TIMEOUT
    while time.monotonic() < deadline:
        state = validation_state(client, headers, draft_id)
        if state.get("status") != "pending":
            return state
        time.sleep(0.1)
    pytest.fail(f"the worker did not start the validation within {RUNNING_TIMEOUT} s: {state}")


def test_killed_worker_validation_is_delivered_again(start_worker, client, api_headers, shared_models):
    """SIGKILL while running → no verdict → a new worker receives the task again → passed."""
    first_worker, first_log = start_worker("killed")
    draft_id = sbottom_draft(client, api_headers, shared_models)
    assert wait_until_running(client, api_headers, draft_id)["status"] == "running"
    kill_worker(first_worker)
    assert validation_state(client, api_headers, draft_id)["status"] == "running", "killed too late"

    _, second_log = start_worker("second")
    state = wait_for_verdict(client, api_headers, draft_id, timeout=REDELIVERY_TIMEOUT)

    assert state["status"] == "passed", state
    # The killed run and the redelivered one; with Redis' short test visibility timeout a slow
    # run can be handed out once more before it is acknowledged: the verdict is the same.
    started = [entry for entry in state["history"] if entry["status"] == "running"]
    assert len(started) >= 2, state["history"]
    assert received_tasks(second_log) & received_tasks(first_log), second_log.read_text()[-3000:]


CHUNKED_POINTS = {
    "DEMOS_VALIDATION_MAX_PATCH_POINTS": "None",
    "DEMOS_VALIDATION_INLINE_PATCH_POINTS": "0",
    "DEMOS_VALIDATION_POINTS_PER_CHUNK": "3",
}
"""No signal point in the run itself, three per chunk: a chunk of ATLAS points takes ~5 s, long enough to be killed in."""
SIX_POINTS = [
    "patch.sbottom_1300_850_60.json",  # the one of the reference points
    "patch.sbottom_1000_131_1.json",
    "patch.sbottom_1000_205_60.json",
    "patch.sbottom_1000_230_100.json",
    "patch.sbottom_1300_205_60.json",
    "patch.sbottom_1400_250_60.json",
]


def six_point_archive(shared_models, folder):
    """RegionA of the ATLAS archive with six of its signal patches, as a .tar.gz (the published layout)."""
    with tarfile.open(shared_models / SBOTTOM / "pyhf-ins1748602-probability-models.tar.gz") as published:
        members = {
            member.name: published.extractfile(member).read()
            for member in published.getmembers()
            if member.name in {"RegionA/BkgOnly.json", *(f"RegionA/{name}" for name in SIX_POINTS)}
        }
    assert len(members) == 7, sorted(members)
    archive = folder / "sbottom-six-points.tar.gz"
    with tarfile.open(archive, "w:gz") as output:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            output.addfile(info, io.BytesIO(content))
    return archive


def wait_for_chunk(client, headers, draft_id, log):
    """Poll (fast) until the worker has received a chunk of signal points; returns the state."""
    deadline = time.monotonic() + RUNNING_TIMEOUT
    while time.monotonic() < deadline:
        state = validation_state(client, headers, draft_id)
        if received_tasks(log, "evaluate_point_chunk"):
            return state
        time.sleep(0.1)
    pytest.fail(f"no chunk of signal points reached the worker within {RUNNING_TIMEOUT} s: {state}")


def test_killed_worker_chunk_of_signal_points_is_delivered_again(
    start_worker, client, api_headers, shared_models, tmp_path
):
    """SIGKILL inside a chunk task → the chunk comes back to a new worker → all six points merged."""
    first_worker, first_log = start_worker("killed-in-chunk", **CHUNKED_POINTS)
    draft_id = sbottom_draft(client, api_headers, shared_models, six_point_archive(shared_models, tmp_path))
    wait_for_chunk(client, api_headers, draft_id, first_log)
    kill_worker(first_worker)
    state = validation_state(client, api_headers, draft_id)
    assert state["status"] == "running" and state["points"]["done"] < 6, f"killed too late: {state}"

    _, second_log = start_worker("second", **CHUNKED_POINTS)
    state = wait_for_verdict(client, api_headers, draft_id, timeout=REDELIVERY_TIMEOUT, worker_log=second_log)

    assert state["points"] == {"done": 6, "total": 6, "chunks": 2}, state["history"][-3:]
    check = next(check for check in state["report"]["checks"] if check["id"] == "patch_points")
    rows = check["details"]["rows"]
    assert sorted(row["name"] for row in rows) == sorted(SIX_POINTS), rows
    assert all(row["status"] == "ok" and 0.0 < row["cls_obs"] <= 1.0 for row in rows), rows
    killed_chunks = received_tasks(first_log, "evaluate_point_chunk")
    assert killed_chunks & received_tasks(second_log, "evaluate_point_chunk"), second_log.read_text()[-3000:]
