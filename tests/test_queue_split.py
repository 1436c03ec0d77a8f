"""Validation tasks on a queue of their own, with a real broker and real `celery worker` processes.

Deployments run general workers on ``celery,low`` (indexing, DOI registration, mails) and
validation workers on the validation queue (docker-compose's ``validation-worker``, the
Kubernetes Deployment scaled by KEDA on that queue's length). Here: where the broker puts
each task, a general worker indexing while a validation waits untouched for its own
worker, then a validation worker giving the verdict.
"""

import json
import time
from pathlib import Path

import pytest
import redis
from invenio_indexer.tasks import process_bulk_queue
from invenio_rdm_records.services.pids.tasks import register_or_update_pid
from rest_helpers import create_draft, model_metadata, upload_file
from test_validation_runs import MODEL_FILE
from worker_process import (
    celery_worker,
    through_the_broker,  # noqa: F401  (fixture, used by pytestmark)
    validation_state,
    wait_for_verdict,
    worker_environment,
)

from demos_registry.validation_engine.isolation import choose_sandbox
from demos_registry.validation_engine.limits import SANDBOX_AUTO, SANDBOX_BWRAP
from demos_registry.validation_engine.warm import ZYGOTE_MODULE
from demos_registry.validation_runs.patch_points import evaluate_point_chunk, merge_point_chunks
from demos_registry.validation_runs.queues import DEFAULT_VALIDATION_QUEUE
from demos_registry.validation_runs.tasks import validate_model

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("through_the_broker")]

GENERAL_QUEUES = "celery,low"
TASK_TIMEOUT = 60


@pytest.fixture()
def broker(broker_uri):
    """The Redis broker of the tests: each queue is a list named after it."""
    return redis.Redis.from_url(broker_uri)


def queued(broker, queue):
    """{task id: (task name, argsrepr, raw message)} of the messages waiting in a queue."""
    messages = {}
    for raw in broker.lrange(queue, 0, -1):
        headers = json.loads(raw)["headers"]
        messages[headers["id"]] = (headers["task"], headers.get("argsrepr", ""), raw)
    return messages


def take_back(broker, queue, task_ids):
    """Remove these tasks' messages from a queue, so that no later worker runs them."""
    for task_id, (_, _, raw) in queued(broker, queue).items():
        if task_id in task_ids:
            broker.lrem(queue, 1, raw)


def test_the_broker_holds_validations_apart_from_indexing_and_dois(app, broker):
    """validate_model and the point-chunk tasks go to the validation queue, the others to ``celery``."""
    assert app.config["DEMOS_VALIDATION_QUEUE"] == DEFAULT_VALIDATION_QUEUE
    validation = {
        validate_model.delay("no-such-model", True).id: validate_model.name,
        evaluate_point_chunk.delay("no-such-model", True, "fingerprint", []).id: evaluate_point_chunk.name,
        merge_point_chunks.delay([], "no-such-model", True, "fingerprint", {}).id: merge_point_chunks.name,
    }
    general = {
        process_bulk_queue.delay().id: process_bulk_queue.name,
        register_or_update_pid.delay("no-such-model", "doi").id: register_or_update_pid.name,
    }
    try:
        in_validation = queued(broker, DEFAULT_VALIDATION_QUEUE)
        in_celery = queued(broker, "celery")
        assert {task_id: in_validation[task_id][0] for task_id in validation} == validation
        assert {task_id: in_celery[task_id][0] for task_id in general} == general
        assert not set(validation) & set(in_celery) and not set(general) & set(in_validation)
    finally:
        take_back(broker, DEFAULT_VALIDATION_QUEUE, validation)
        take_back(broker, "celery", general)


def succeeded_in_log(log, task_id, timeout=TASK_TIMEOUT):
    """Wait until the worker's log says the task succeeded."""
    deadline = time.monotonic() + timeout
    while f"[{task_id}] succeeded" not in log.read_text():
        assert time.monotonic() < deadline, f"task {task_id} did not run:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)


def sandbox_zygotes(worker):
    """The warm sandboxes among a worker's descendants: zygotes, children of bubblewrap (not forked jobs)."""
    processes = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            processes[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), command)

    def descends(pid):
        while pid in processes and pid != worker.pid:
            pid = processes[pid][0]
        return pid == worker.pid

    def is_zygote(pid, command):
        parent = processes.get(processes[pid][0], (0, [b""]))[1][0]
        return ZYGOTE_MODULE.encode() in command and command[0] != parent and parent.endswith(b"bwrap")

    return [pid for pid, (_, command) in processes.items() if is_zygote(pid, command) and descends(pid)]


def ran(log, task):
    """The worker received the task (its start-up banner lists every task name, this does not)."""
    return f"Task {task.name}[" in log.read_text()


def test_a_general_worker_indexes_while_the_validation_waits_for_a_validation_worker(
    app, instance_path, db_uri, search_hosts, broker_uri, broker, tmp_path, client, api_headers, shared_models
):
    env = worker_environment(app, instance_path, db_uri, search_hosts, broker_uri)
    general_log, validation_log = tmp_path / "general.log", tmp_path / "validation.log"
    with celery_worker(env, general_log, queue=GENERAL_QUEUES) as general:
        draft = create_draft(client, api_headers, model_metadata("Validated by its own worker")).json
        upload_file(
            client, api_headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes()
        )
        succeeded_in_log(general_log, process_bulk_queue.delay().id)

        waiting = queued(broker, DEFAULT_VALIDATION_QUEUE).values()
        assert any(name == validate_model.name and draft["id"] in args for name, args, _ in waiting)
        assert validation_state(client, api_headers, draft["id"])["status"] == "pending"

        with celery_worker(env, validation_log, queue=DEFAULT_VALIDATION_QUEUE) as validation:
            state = wait_for_verdict(client, api_headers, draft["id"], worker_log=validation_log)
            # Only the validation worker's pool process keeps a warm sandbox (validation_runs/warm_start.py),
            # where bubblewrap runs.
            warm = choose_sandbox(SANDBOX_AUTO).kind == SANDBOX_BWRAP
            assert len(sandbox_zygotes(validation)) == int(warm) and sandbox_zygotes(general) == []
    assert state["status"] == "passed", state
    assert state["report"]["sandbox"].get("process") == ("warm" if warm else None)
    assert ran(validation_log, validate_model) and not ran(general_log, validate_model)
    assert ran(general_log, process_bulk_queue) and not ran(validation_log, process_bulk_queue)


def test_tasks_use_the_configured_queue(app, broker, monkeypatch):
    """DEMOS_VALIDATION_QUEUE is read when a task is sent: a deployment can rename the queue."""
    monkeypatch.setitem(app.config, "DEMOS_VALIDATION_QUEUE", "validation-renamed")
    task_id = validate_model.delay("no-such-model", True).id
    try:
        assert validate_model.name == queued(broker, "validation-renamed")[task_id][0]
    finally:
        take_back(broker, "validation-renamed", {task_id})
