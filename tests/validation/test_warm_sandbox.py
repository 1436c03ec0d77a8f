"""The warm sandbox: the same reports as a fresh worker, and nothing of one job reaches the next.

A probe job (warm_probe/hostile_job.py) stands in for hostile model code: the zygote forks it
exactly as it forks the worker, and it reports what it could reach or leave behind.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from demos_registry.validation_engine import ResourceLimits, ValidationOptions, validate
from demos_registry.validation_engine.isolation import choose_sandbox
from demos_registry.validation_engine.limits import MIB, SANDBOX_BWRAP
from demos_registry.validation_engine.warm import WARM_VARIABLE, WarmSandbox, warm_sandbox

PROBES = Path(__file__).resolve().parent / "warm_probe"
REPO = Path(__file__).resolve().parents[2]


def bwrap_problem():
    try:
        choose_sandbox(SANDBOX_BWRAP)
    except OSError as exc:
        return str(exc)
    return None


pytestmark = pytest.mark.skipif(bwrap_problem() is not None, reason="the warm sandbox needs bubblewrap")


@pytest.fixture
def started():
    """The test process's warm sandbox, started (a process's first job would otherwise run fresh)."""
    assert warm_sandbox(choose_sandbox(SANDBOX_BWRAP)) is not None


@pytest.fixture
def probe_sandbox(monkeypatch):
    """A warm sandbox whose jobs run the probe's code instead of the validation pipeline."""
    monkeypatch.setenv("PYTHONPATH", str(PROBES))
    warm = WarmSandbox(choose_sandbox(SANDBOX_BWRAP), runner="hostile_job:run", readable=[str(PROBES)])
    yield warm
    warm.close()


def probe(warm, body, wall_seconds=60.0, **job):
    run = warm.run({"probe": textwrap.dedent(body), **job}, ResourceLimits(wall_seconds=wall_seconds))
    return run, {event["name"]: event["value"] for event in run.events if event.get("event") == "probe"}


def test_warm_and_fresh_workers_report_the_same_model(started, models_dir, tmp_path, monkeypatch):
    """Every check, fact and figure of a real model, with the warm sandbox and with a fresh worker."""
    model = str(models_dir / "pyhf" / "2-bin_1-channel.json")
    reports = {}
    for warm in ("1", "0"):
        monkeypatch.setenv(WARM_VARIABLE, warm)
        options = ValidationOptions(output_dir=str(tmp_path / f"figures-{warm}"))
        reports[warm] = validate([model], None, options)
    warm, fresh = reports["1"], reports["0"]
    assert warm.sandbox == {"kind": "bwrap", "process": "warm"}
    assert fresh.sandbox == {"kind": "bwrap"}
    assert [
        (check.id, check.status, check.reason, check.details) for check in warm.checks if check.id != "plots"
    ] == [
        (check.id, check.status, check.reason, check.details) for check in fresh.checks if check.id != "plots"
    ]
    assert warm.facts == fresh.facts and warm.files == fresh.files and warm.engines == fresh.engines
    names = {os.path.basename(path) for path in warm.plots}
    assert names == {os.path.basename(path) for path in fresh.plots} and "parameters.json" in names
    assert all(path.startswith(str(tmp_path / "figures-1")) and os.path.isfile(path) for path in warm.plots)


def test_files_sharing_a_name_keep_their_names_as_given(started, models_dir, tmp_path):
    """Two files named alike are told apart by their paths, as in a fresh worker (not the staged copies)."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(models_dir / "pyhf" / "2-bin_1-channel.json", tmp_path / folder / "model.json")
    paths = [str(tmp_path / "a" / "model.json"), str(tmp_path / "b" / "model.json")]
    report = validate(paths, None, ValidationOptions(checks=["integrity"]))
    assert report.sandbox.get("process") == "warm"
    assert [entry["path"] for entry in report.files] == paths


def test_a_job_whose_memory_limit_leaves_no_room_runs_in_a_fresh_worker(started, models_dir):
    model = str(models_dir / "pyhf" / "2-bin_1-channel.json")
    options = ValidationOptions(checks=["integrity"], limits=ResourceLimits(memory_bytes=600 * MIB))
    report = validate([model], None, options)
    assert report.sandbox == {"kind": "bwrap"}
    assert [check.status.value for check in report.checks] == ["passed"]


def test_a_process_validates_its_first_model_fresh_and_the_next_ones_warm(models_dir):
    """A one-off caller pays nothing for the warm sandbox; a caller with more jobs gets it from the second."""
    model = str(models_dir / "pyhf" / "2-bin_1-channel.json")
    script = (
        "import json, sys\n"
        "from demos_registry.validation_engine import ValidationOptions, validate\n"
        "reports = [validate([sys.argv[1]], None, ValidationOptions(checks=['integrity'])) for _ in range(3)]\n"
        "print(json.dumps([report.sandbox for report in reports]))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO / "site")}
    environment.pop(WARM_VARIABLE, None)
    completed = subprocess.run(
        [sys.executable, "-c", script, model], capture_output=True, text=True, env=environment, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    fresh, warm = {"kind": "bwrap"}, {"kind": "bwrap", "process": "warm"}
    assert json.loads(completed.stdout.splitlines()[-1]) == [fresh, warm, warm]


def test_a_sandbox_started_by_a_thread_that_has_ended_keeps_running(models_dir):
    """Bubblewrap dies with the thread that started it: the zygote must not be that thread's child."""
    started = {}
    thread = threading.Thread(
        target=lambda: started.setdefault("warm", WarmSandbox(choose_sandbox(SANDBOX_BWRAP)))
    )
    thread.start()
    thread.join()
    warm = started["warm"]
    try:
        time.sleep(0.5)
        assert warm.alive
        job = {"paths": [str(models_dir / "pyhf" / "2-bin_1-channel.json")], "checks": ["integrity"]}
        run = warm.run(job, ResourceLimits())
        assert run.finished, run.stderr_tail
        assert [event["result"]["status"] for event in run.events if event["event"] == "check"] == ["passed"]
    finally:
        warm.close()


def test_nothing_a_job_starts_or_writes_reaches_the_next(probe_sandbox):
    """A detached daemon, files in /tmp, /dev/shm and the output folder, a changed mode: all gone before the next job."""
    run, results = probe(
        probe_sandbox,
        """
        import os, time
        os.makedirs("/tmp/left/locked")
        open("/tmp/left/locked/secret", "w").write("of job one")
        os.chmod("/tmp/left/locked", 0)
        open("/dev/shm/segment", "w").write("of job one")
        os.makedirs("/job/out/left/locked")
        os.chmod("/job/out/left/locked", 0)
        if os.fork() == 0:
            os.setsid()
            if os.fork():
                os._exit(0)
            while True:
                open("/tmp/heartbeat", "w").write(str(time.time()))
                time.sleep(0.05)
        time.sleep(0.3)
        report("started", sorted(os.listdir("/tmp")))
        """,
    )
    assert run.finished, run.stderr_tail
    assert results["started"] == ["heartbeat", "left"]
    run, results = probe(
        probe_sandbox,
        """
        import os, time
        time.sleep(0.3)
        others = []
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) not in (1, os.getpid(), os.getppid()):
                stat = open(f"/proc/{pid}/stat").read()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":
                    others.append(stat)
        report("processes", others)
        report("tmp", os.listdir("/tmp"))
        report("shm", os.listdir("/dev/shm"))
        report("out", os.listdir("/job/out"))
        """,
    )
    assert run.finished, run.stderr_tail
    assert results == {"processes": [], "tmp": [], "shm": [], "out": []}


def test_a_job_sees_only_its_own_files(probe_sandbox, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text('{"of": "job one"}')
    second.write_text('{"of": "job two"}')
    body = """
    import os
    folder = os.path.dirname(os.path.dirname(job["paths"][0]))
    report("folder", folder)
    report("inputs", sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs))
    report("content", open(job["paths"][0]).read())
    try:
        open(job["paths"][0], "a").write("changed")
        report("write", "ok")
    except OSError as exc:
        report("write", type(exc).__name__)
    """
    probe(probe_sandbox, body, paths=[str(first)])
    run, results = probe(probe_sandbox, body, paths=[str(second)])
    assert run.finished, run.stderr_tail
    inputs = [os.path.relpath(path, results["folder"]) for path in results["inputs"]]
    assert inputs == ["0/second.json", "job.json"]
    assert results["content"] == '{"of": "job two"}'
    assert results["write"] == "OSError"
    assert first.read_text() == '{"of": "job one"}' and second.read_text() == '{"of": "job two"}'


def test_a_job_cannot_reach_into_the_zygote(probe_sandbox):
    """Not dumpable: no ptrace, no /proc/<zygote>/mem or environ, no look at its descriptors."""
    run, results = probe(
        probe_sandbox,
        """
        import ctypes, os
        zygote = os.getppid()
        def attempt(name, function):
            try:
                function()
                report(name, "ok")
            except OSError as exc:
                report(name, type(exc).__name__)
        attempt("mem", lambda: open(f"/proc/{zygote}/mem", "rb").read(1))
        attempt("environ", lambda: open(f"/proc/{zygote}/environ", "rb").read())
        attempt("fd", lambda: os.readlink(f"/proc/{zygote}/fd/1"))
        libc = ctypes.CDLL(None, use_errno=True)
        report("ptrace", libc.ptrace(16, zygote, None, None))  # PTRACE_ATTACH
        """,
    )
    assert run.finished, run.stderr_tail
    assert results == {
        "mem": "PermissionError",
        "environ": "PermissionError",
        "fd": "PermissionError",
        "ptrace": -1,
    }


def test_a_job_over_its_wall_clock_ends_the_sandbox(probe_sandbox):
    started = time.monotonic()
    run, results = probe(
        probe_sandbox, "import time\nreport('started', True)\ntime.sleep(600)", wall_seconds=2.0
    )
    assert results == {"started": True}
    assert "wall-clock limit of 2 s" in run.failure
    assert time.monotonic() - started < 10
    assert not probe_sandbox.alive


def test_a_job_that_kills_the_zygote_fails_with_a_reason(probe_sandbox):
    run, _ = probe(
        probe_sandbox, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nimport time\ntime.sleep(1)"
    )
    assert not run.finished and run.failure
    assert "the warm sandbox stopped during the job" in run.stderr_tail
    assert not probe_sandbox.alive


def test_a_crashing_job_reports_its_exit_and_the_next_runs(probe_sandbox):
    run, _ = probe(probe_sandbox, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert run.failure == "an engine crashed (segmentation fault)"
    run, results = probe(probe_sandbox, "report('alive', True)")
    assert run.finished and results == {"alive": True}
    assert json.loads(json.dumps(run.events))[-1] == {"event": "done"}
