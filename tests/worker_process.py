"""A real `celery worker` process for the tests, configured like the test app."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress

import pytest
from celery import current_app as current_celery

WORKER_START_TIMEOUT = 180
"""Seconds; a loaded 2-core machine needs over a minute to import the app in a new worker."""
WORKER_STOP_TIMEOUT = 30


def worker_environment(app, instance_path, db_uri, search_hosts, broker_uri, **settings):
    """INVENIO_* variables that point a worker at the test app's services; settings add more."""
    return {
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
        **{f"INVENIO_{name}": value for name, value in settings.items()},
    }


@contextmanager
def celery_worker(env, log, queue="celery,validation", concurrency=1):
    """Start a worker (its own process group) consuming queue (comma-separated); stop it, children included, on exit.

    Yields the process once the worker logged "ready."; log is the path of its output.
    ``concurrency`` > 1 runs tasks side by side, as in production (races between tasks).
    """
    with open(log, "w") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "invenio_app.celery",
                "worker",
                "--concurrency",
                str(concurrency),
                "--queues",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while "ready." not in log.read_text():
            assert worker.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start:\n" + log.read_text()[-3000:]
            time.sleep(0.5)
        yield worker
    finally:
        stop_worker(worker)


def kill_worker(worker):
    """SIGKILL the worker and its pool and sandbox children at once, as the OOM killer would."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=WORKER_STOP_TIMEOUT)


def stop_worker(worker):
    """Warm shutdown; a worker that does not stop in time is killed with its children."""
    if worker.poll() is None:
        worker.terminate()
        with suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=WORKER_STOP_TIMEOUT)
    with suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)  # leftover pool or sandbox children
    worker.wait(timeout=WORKER_STOP_TIMEOUT)


VERDICT_TIMEOUT = 180


@pytest.fixture()
def through_the_broker(monkeypatch):
    """Send tasks to the broker instead of running them in the test process.

    With connection and producer pools of their own: Celery keeps its pools per process
    whatever broker the app of an earlier test module was configured with.
    """
    monkeypatch.setattr(current_celery.conf, "task_always_eager", False)
    monkeypatch.setattr(current_celery, "_pool", None)
    monkeypatch.setattr(current_celery.amqp, "_producer_pool", None)


def validation_state(client, headers, draft_id):
    """The draft's validation state as the API shows it."""
    return client.get(f"/api/records/{draft_id}/validation", headers=headers).json


def wait_for_verdict(client, headers, draft_id, timeout=VERDICT_TIMEOUT, worker_log=None):
    """Poll the draft until its validation has finished; returns the state.

    On a timeout the failure shows the end of ``worker_log`` (a path) if given.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = validation_state(client, headers, draft_id)
        if state.get("status") in ("passed", "failed", "needs_review"):
            return state
        time.sleep(1)
    log_tail = worker_log.read_text()[-4000:] if worker_log and worker_log.exists() else ""
    pytest.fail(f"no verdict within {timeout} s: {state}\nworker log (end):\n{log_tail}")


def wait_for_figures(client, headers, record_id, timeout=VERDICT_TIMEOUT):
    """Poll a draft or record until the report of its verdict names its figures; returns the report."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = validation_state(client, headers, record_id).get("report") or {}
        if any(check["id"] == "plots" for check in report.get("checks", [])):
            return report
        time.sleep(0.5)
    pytest.fail(f"the figures of {record_id} were not drawn within {timeout} s")
