"""The sandbox: validated code reaches no network, instance file or secret, and not beyond its timeout.

A probe program stands in for hostile model code (ROOT compiles C++ from HS3 expressions): it
starts exactly as the worker does (the same command, binds and environment, then the worker's own
resource limits and network isolation) and reports what it could reach. Both confinements are
tested: bubblewrap, and rlimits alone (bubblewrap switched off, or not on the PATH).
"""

import json
import os
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest

from demos_registry.validation_engine import ResourceLimits, ValidationOptions, validate
from demos_registry.validation_engine.isolation import choose_sandbox, run_sandboxed
from demos_registry.validation_engine.limits import SANDBOX_BWRAP, SANDBOX_RLIMITS, SANDBOX_VARIABLE

REPO = Path(__file__).resolve().parents[2]
SECRETS = {
    "INVENIO_SECRET_KEY": "secret-key-of-the-instance",
    "SQLALCHEMY_DATABASE_URI": "postgresql://demos:db-password@127.0.0.1/demos",
    "CELERY_BROKER_URL": "redis://:broker-password@127.0.0.1:6379/0",
    "DEMOS_DATACITE_PASSWORD": "datacite-password",
    "AN_UNUSUAL_NAME": "a-secret-no-name-list-would-catch",
}
PROBE_PRELUDE = """
import json, os, socket, sys
from demos_registry.validation_engine.worker import apply_resource_limits, isolate_network
apply_resource_limits(json.load(sys.stdin)["limits"])
network = isolate_network()

def report(name, value):
    print(json.dumps({"event": "probe", "name": name, "value": value}), flush=True)

def attempt(function):
    try:
        return "ok: " + str(function())
    except BaseException as exc:
        return f"refused: {type(exc).__name__}: {exc}"
"""


def bwrap_usable():
    try:
        choose_sandbox(SANDBOX_BWRAP)
    except OSError as exc:
        return str(exc)
    return None


@pytest.fixture(params=[SANDBOX_BWRAP, SANDBOX_RLIMITS])
def sandbox(request):
    if request.param == SANDBOX_BWRAP and bwrap_usable():
        pytest.skip(bwrap_usable())
    return request.param


def run_probe(tmp_path, body, sandbox, wall_seconds=60.0, writable=()):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE_PRELUDE + textwrap.dedent(body))
    limits = ResourceLimits(wall_seconds=wall_seconds, sandbox=sandbox)
    run = run_sandboxed(
        [sys.executable, str(probe)],
        json.dumps({"limits": limits.to_dict()}).encode(),
        limits,
        readable=[str(probe)],
        writable=[str(path) for path in writable],
    )
    return run, {event["name"]: event["value"] for event in run.events if event.get("event") == "probe"}


@pytest.fixture
def listening_port():
    """A TCP server of the caller's on the loopback, reachable from the caller itself."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    yield port
    server.close()


def test_no_socket_to_postgresql_redis_or_the_callers_server(tmp_path, sandbox, listening_port):
    """Below the socket module's guard (`_socket`) inside bubblewrap: the kernel refuses."""
    low_level = sandbox == SANDBOX_BWRAP
    body = f"""
    import _socket
    make = _socket.socket if {low_level} else socket.socket
    for name, port in [("postgresql", 5432), ("redis", 6379), ("caller", {listening_port})]:
        connection = make(socket.AF_INET, socket.SOCK_STREAM)
        connection.settimeout(3)
        report(name, attempt(lambda: connection.connect(("127.0.0.1", port))))
    """
    run, results = run_probe(tmp_path, body, sandbox)
    assert set(results) == {"postgresql", "redis", "caller"}, run.stderr_tail
    for name, outcome in results.items():
        assert outcome.startswith("refused"), f"{name}: {outcome}"


def test_bubblewrap_hides_unix_sockets_and_files_of_the_caller(tmp_path, listening_port):
    """PostgreSQL's and Redis's Unix sockets, the instance folder and the caller's temporary files."""
    if bwrap_usable():
        pytest.skip(bwrap_usable())
    instance = tmp_path / "var" / "instance"
    instance.mkdir(parents=True)
    (instance / "invenio.cfg").write_text("SECRET_KEY = 'x'")
    unix_server = socket.socket(socket.AF_UNIX)
    unix_server.bind(str(tmp_path / "redis.sock"))
    unix_server.listen()
    targets = [
        str(instance / "invenio.cfg"),
        str(REPO / "var" / "instance"),
        str(REPO / "Pipfile"),
        "/var/run/postgresql",
    ]
    body = f"""
    for path in {targets!r}:
        report(path, attempt(lambda: os.listdir(path) if os.path.isdir(path) else open(path).read()))
    client = socket.socket(socket.AF_UNIX)
    report("unix socket", attempt(lambda: client.connect({str(tmp_path / "redis.sock")!r})))
    """
    run, results = run_probe(tmp_path, body, SANDBOX_BWRAP)
    unix_server.close()
    assert results, run.stderr_tail
    for target in targets:
        assert results[target].startswith("refused: FileNotFoundError"), f"{target}: {results[target]}"
    assert results["unix socket"].startswith("refused")


def test_no_secrets_in_the_environment(tmp_path, sandbox, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    body = """
    report("environment", dict(os.environ))
    visible = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                visible[pid] = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
            except OSError:
                pass
    report("other processes", visible)
    """
    run, results = run_probe(tmp_path, body, sandbox)
    assert "environment" in results, run.stderr_tail
    for value in SECRETS.values():
        assert value not in json.dumps(results["environment"])
        if sandbox == SANDBOX_BWRAP:  # rlimits alone: the caller's /proc/<pid>/environ is readable
            assert value not in json.dumps(results["other processes"])


def heartbeat_body(detach, directory):
    """A child (detached into its own session when `detach`) that writes a heartbeat for 30 s."""
    return f"""
    import time
    directory = {str(directory)!r}
    if os.fork() == 0:
        if {detach}:
            os.setsid()
            if os.fork():
                os._exit(0)
        for beat in range(300):
            with open(os.path.join(directory, "heartbeat"), "w") as handle:
                handle.write(str(beat))
            time.sleep(0.1)
        os._exit(0)
    report("started", True)
    time.sleep(600)
    """


@pytest.mark.parametrize("detach", [False, True])
def test_nothing_outlives_the_timeout(tmp_path, sandbox, detach):
    """Rlimits alone kill the process group; a child that leaves it (setsid) dies only in bubblewrap."""
    if detach and sandbox == SANDBOX_RLIMITS:
        pytest.skip("rlimits only: a child in a new session escapes the kill (docs/threat-model.md)")
    beats = tmp_path / "beats"
    beats.mkdir()
    body = heartbeat_body(detach, beats)
    started = time.monotonic()
    run, results = run_probe(tmp_path, body, sandbox, wall_seconds=2.0, writable=[beats])
    assert results.get("started") is True, run.stderr_tail
    assert "wall-clock limit of 2 s" in (run.failure or "")
    assert time.monotonic() - started < 10
    time.sleep(0.5)
    last = (beats / "heartbeat").read_text()
    time.sleep(1.0)
    assert (beats / "heartbeat").read_text() == last, "a child of the sandbox is still running"


def test_report_names_the_sandbox(models_dir):
    model = str(models_dir / "pyhf" / "2-bin_1-channel.json")
    options = ValidationOptions(checks=["integrity"])
    report = validate([model], None, options)
    if bwrap_usable():
        assert report.sandbox["kind"] == SANDBOX_RLIMITS
        assert report.warnings == [f"sandbox: rlimits only ({report.sandbox['reason']})"]
    else:
        assert report.sandbox["kind"] == SANDBOX_BWRAP
        assert report.warnings == []
    assert report.check("integrity").status.value == "passed"


def test_rlimits_only_when_switched_off_or_missing(models_dir, monkeypatch, tmp_path):
    """The fallback runs the same checks, and the report says so (it does not change the status)."""
    model = str(models_dir / "pyhf" / "2-bin_1-channel.json")
    monkeypatch.setenv(SANDBOX_VARIABLE, SANDBOX_RLIMITS)
    switched_off = validate([model], None, ValidationOptions(checks=["integrity"]))
    assert switched_off.warnings == ["sandbox: rlimits only (bubblewrap switched off by the settings)"]
    monkeypatch.delenv(SANDBOX_VARIABLE)
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = validate([model], None, ValidationOptions(checks=["integrity"]))
    assert missing.warnings == ["sandbox: rlimits only (bubblewrap (bwrap) is not installed)"]
    assert "Warning: sandbox: rlimits only" in missing.to_markdown()
    for report in (switched_off, missing):
        assert report.check("integrity").status.value == "passed"


def test_required_bubblewrap_that_cannot_run_is_an_error_not_a_silent_fallback(
    models_dir, monkeypatch, tmp_path
):
    monkeypatch.setenv("PATH", str(tmp_path))
    options = ValidationOptions(limits=ResourceLimits(sandbox=SANDBOX_BWRAP), checks=["integrity"])
    report = validate([str(models_dir / "pyhf" / "2-bin_1-channel.json")], None, options)
    assert report.status.value == "error"
    assert "the bubblewrap sandbox is required but unusable" in report.error


def test_worker_writes_only_its_output_folder(tmp_path, models_dir):
    if bwrap_usable():
        pytest.skip(bwrap_usable())
    output = tmp_path / "plots"
    report = validate(
        [str(models_dir / "pyhf" / "2-bin_1-channel.json")],
        None,
        ValidationOptions(output_dir=str(output), checks=["integrity", "plots"]),
    )
    assert report.sandbox["kind"] == SANDBOX_BWRAP
    assert report.plots and all(Path(path).parent == output for path in report.plots)
    assert sorted(os.listdir(tmp_path)) == ["plots"]
