"""``scripts/run`` end to end: Ctrl-C stops only what it started, a second run keeps the data.

The run command is started twice, in its own process group, as a user starts it in a
terminal; Ctrl-C is SIGINT to that group. It is kept apart from everything else on the
machine with its own knobs (``DEMOS_VAR``, ``DEMOS_VENV``, ``DEMOS_DATABASE_NAME``, ports)
and the app's ``INVENIO_*`` variables: a Redis server of the test's own (the service
"found already running" whose survival is checked, besides the machine's PostgreSQL) and
its database 5 as the broker, so no shared Redis database or RabbitMQ queue is touched.
What would make the runs slow is skipped the way a second run on a set-up machine skips
it: the Python environment is the suite's (a venv whose site-packages are the project
venv's, marked installed), the web assets are a copy of the built ones, and the demo
models are left out with the set-up command's ``--no-demo-models`` (through Click's
environment variable, ``FLASK_DEMOS_SETUP_DEMO_MODELS``).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from contextlib import closing, suppress
from pathlib import Path

import psycopg2
import pytest
import requests
from psycopg2 import sql
from rest_helpers import record_metadata
from urllib3.exceptions import InsecureRequestWarning

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore", category=InsecureRequestWarning),
]

REPO = Path(__file__).resolve().parent.parent
PROJECT_VENV = REPO / ".venv"
BUILT_INSTANCE = REPO / "var" / "instance"
RUN_DATABASE = os.environ.get("DEMOS_TEST_DATABASE", "demos_test") + "_run"
READY = "Press Ctrl-C to stop"
FIRST_START_TIMEOUT = 300
SECOND_START_TIMEOUT = 180
STOP_TIMEOUT = 90
MACHINE_SERVICES = {"PostgreSQL": 5432, "Redis": 6379, "RabbitMQ": 5672}
INSTALL_STEPS = ("installing", "collecting static files", "npm")
"""Output of a re-install or an asset build: the test stops the run rather than wait minutes."""


def port_open(port):
    """Whether something listens on 127.0.0.1:port."""
    with closing(socket.socket()) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_port():
    """A TCP port nothing listens on now."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def superuser_connection():
    """The machine's PostgreSQL as its local superuser (as scripts/ensure_database.py connects)."""
    try:
        connection = psycopg2.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    except psycopg2.OperationalError as error:
        pytest.skip(f"no local superuser access to PostgreSQL on 5432: {error}")
    connection.autocommit = True
    return connection


def postgres_start_time():
    """When the machine's PostgreSQL started: unchanged if nobody stopped or restarted it."""
    with closing(superuser_connection()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return cursor.fetchone()[0]


def drop_run_database():
    """Remove the run's database and role (created by scripts/ensure_database.py)."""
    with closing(superuser_connection()) as connection, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RUN_DATABASE))
        )
        cursor.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(RUN_DATABASE)))


def descendants(pid):
    """Every living process below pid."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    """Whether pid is a running (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def assets_fingerprint():
    """The fingerprint of the asset sources, computed as lib.sh's build_assets_unlocked computes it."""
    return subprocess.run(
        [
            "bash",
            "-c",
            "find assets static site/demos_registry -type f \\( -path '*assets*' -o -path 'static/*' \\) -print0 "
            "| sort -z | xargs -0 sha256sum | cat - Pipfile.lock | sha256sum | cut -d' ' -f1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture()
def own_redis(tmp_path):
    """A Redis server the test starts before the run: a service the run finds already running."""
    redis_server = shutil.which("redis-server")
    if not redis_server:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not port_open(port):
        assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.2)
    yield process, port
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture()
def run_environment(tmp_path, own_redis):
    """Everything scripts/run reads, pointing at the test's own var/, venv, database and ports."""
    stamp = (PROJECT_VENV / ".demos-installed").read_text().strip()
    built = BUILT_INSTANCE / ".assets-built"
    if not built.is_file() or built.read_text().strip() != assets_fingerprint():
        pytest.skip(
            "the web assets in var/instance are missing or older than their sources: scripts/run would "
            "rebuild them (minutes); scripts/test without DEMOS_SKIP_ASSETS builds them first"
        )
    var = tmp_path / "var"
    instance = var / "instance"
    instance.mkdir(parents=True)
    shutil.copytree(BUILT_INSTANCE / "static", instance / "static", symlinks=True)
    shutil.copy(BUILT_INSTANCE / ".assets-built", instance / ".assets-built")

    venv = tmp_path / "venv"
    subprocess.run(
        [str(PROJECT_VENV / "bin" / "python"), "-m", "venv", "--without-pip", str(venv)], check=True
    )
    # A re-install (if the project venv's stamp were stale) would land here, not in .venv.
    project_site = next((PROJECT_VENV / "lib").glob("python3*/site-packages"))
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "project-venv.pth").write_text(f"import site; site.addsitedir({str(project_site)!r})\n")
    for command in ("invenio", "celery", "gunicorn"):
        (venv / "bin" / command).symlink_to(PROJECT_VENV / "bin" / command)
    (venv / ".demos-installed").write_text(stamp.rsplit("-", 1)[0] + "-run\n")

    _, redis_port = own_redis
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("INVENIO_", "DEMOS_", "SQLALCHEMY_", "COV", "FLASK_", "BROKER_"))
    }
    environment.update(
        DEMOS_VAR=str(var),
        DEMOS_VENV=str(venv),
        DEMOS_DATABASE_NAME=RUN_DATABASE,
        DEMOS_HOST="127.0.0.1",
        DEMOS_PORT=str(free_port()),
        DEMOS_SEARCH_PORT=str(free_port()),
        DEMOS_DATACITE_PORT=str(free_port()),
        DEMOS_WEB_WORKERS="1",
        DEMOS_CELERY_CONCURRENCY="1",
        INVENIO_REDIS_URL=f"redis://127.0.0.1:{redis_port}",
        INVENIO_BROKER_URL=f"redis://127.0.0.1:{redis_port}/5",
        FLASK_DEMOS_SETUP_DEMO_MODELS="false",
    )
    drop_run_database()
    yield environment
    drop_run_database()


class RunCommand:
    """One ``scripts/run`` in its own process group, as a terminal runs a foreground command."""

    def __init__(self, environment, log):
        self.environment = environment
        self.log = log
        self.logs = Path(environment["DEMOS_VAR"]) / "log"
        with open(log, "w") as output:
            self.process = subprocess.Popen(
                ["bash", str(REPO / "scripts" / "run")],
                cwd=REPO,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # As in a terminal: a suite started in the background (`./scripts/test &`) has
                # SIGINT ignored, which the shell would inherit and could not trap.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )

    @property
    def output(self):
        """What the command printed so far."""
        return self.log.read_text(errors="replace")

    def wait_until_ready(self, timeout):
        """Block until the command printed its ready message."""
        deadline = time.monotonic() + timeout
        while READY not in self.output:
            output = self.output
            if any(step in output for step in INSTALL_STEPS):
                self.kill()
                pytest.fail(f"scripts/run started installing or building (not a test's job):\n{output}")
            assert self.process.poll() is None, f"scripts/run stopped:\n{output}"
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"scripts/run was not ready in {timeout} s:\n{output}")
            time.sleep(1)

    def ctrl_c(self):
        """SIGINT to the foreground process group; the exit code of the command."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            worker_log = self.logs / "worker.log"
            worker_tail = worker_log.read_text(errors="replace")[-3000:] if worker_log.exists() else ""
            self.kill()
            pytest.fail(
                f"scripts/run did not stop within {STOP_TIMEOUT} s of Ctrl-C:\n{self.output}\n"
                f"end of worker.log:\n{worker_tail}"
            )

    def wait_until_worker_idle(self, timeout=120, quiet=3):
        """Block until every task the worker received has ended, for `quiet` seconds in a row."""
        deadline, idle_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            log = (self.logs / "worker.log").read_text(errors="replace")
            received = set(re.findall(r"Task \S+\[([0-9a-f-]+)\] received", log))
            ended = set(re.findall(r"Task \S+\[([0-9a-f-]+)\] (?:succeeded|raised|retry|failed)", log))
            if received <= ended:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= quiet:
                    return
            else:
                idle_since = None
            time.sleep(0.5)
        pytest.fail(f"the worker was still busy after {timeout} s: {sorted(received - ended)}")

    def kill(self):
        """Stop whatever is left of the command's process group."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)

    def admin_password(self):
        """The generated admin password the ready message prints."""
        line = next(line for line in self.output.splitlines() if "Log in as:" in line)
        return line.rsplit("/", 1)[1].strip()


@pytest.fixture()
def start_run(run_environment, tmp_path):
    """Start scripts/run and wait until it is ready; any run still going at the end is killed."""
    runs = []

    def start(name, timeout):
        """A ready run; its processes and the ports of the servers it started."""
        run = RunCommand(run_environment, tmp_path / f"{name}.log")
        runs.append(run)
        run.wait_until_ready(timeout)
        return ready_run(run, run_environment)

    yield start
    for run in runs:
        if run.process.poll() is None:
            run.kill()


def ready_run(run, environment):
    """The run, its processes and the ports of the servers it started."""
    ports = [int(environment[name]) for name in ("DEMOS_PORT", "DEMOS_SEARCH_PORT", "DEMOS_DATACITE_PORT")]
    assert all(port_open(port) for port in ports), run.output
    return run, descendants(run.process.pid), ports


def assert_stopped_only_what_it_started(run, processes, ports, machine_services, postgres_started, own_redis):
    """After Ctrl-C: the command exited cleanly, its processes and servers are gone, the rest runs."""
    assert run.ctrl_c() == 0, run.output
    assert "Stopping" in run.output
    assert processes, "scripts/run started no process"
    still_running = [pid for pid in processes if alive(pid)]
    assert not still_running, f"left running after Ctrl-C: {still_running}"
    assert not [port for port in ports if port_open(port)], "a server the run started still listens"
    assert [name for name, port in MACHINE_SERVICES.items() if port_open(port)] == machine_services
    assert postgres_start_time() == postgres_started, "the machine's PostgreSQL was restarted"
    redis_process, redis_port = own_redis
    assert redis_process.poll() is None and port_open(redis_port), "the pre-started Redis was stopped"


def token_for_admin(environment):
    """A personal access token of the set-up's admin account (``invenio tokens create``)."""
    var = Path(environment["DEMOS_VAR"])
    result = subprocess.run(
        [
            str(PROJECT_VENV / "bin" / "invenio"),
            "tokens",
            "create",
            "-n",
            "run-test",
            "-u",
            "admin@demos.local",
        ],
        env={
            **environment,
            "INVENIO_INSTANCE_PATH": str(var / "instance"),
            "INVENIO_DATABASE_URL": (var / "pg.url").read_text().strip(),
            "INVENIO_SEARCH_HOSTS": repr(
                [{"host": "127.0.0.1", "port": int(environment["DEMOS_SEARCH_PORT"])}]
            ),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def search_ids(api, word, timeout=30):
    """Ids of the published records a full-text query finds (waits for the index to catch up)."""
    deadline = time.monotonic() + timeout
    while True:
        hits = requests.get(f"{api}/records", params={"q": word}, verify=False, timeout=30).json()["hits"]
        ids = [hit["id"] for hit in hits["hits"]]
        if ids or time.monotonic() > deadline:
            return ids
        time.sleep(1)


def test_ctrl_c_stops_only_what_it_started_and_a_second_run_keeps_the_data(
    run_environment, own_redis, start_run
):
    """Run, publish a record, Ctrl-C; run again: the record is there; Ctrl-C: nothing of ours is left."""
    machine_services = [name for name, port in MACHINE_SERVICES.items() if port_open(port)]
    if "PostgreSQL" not in machine_services:
        pytest.skip("no PostgreSQL on localhost:5432 to check that the run leaves it alone")
    postgres_started = postgres_start_time()
    api = f"https://127.0.0.1:{run_environment['DEMOS_PORT']}/api"

    run, processes, ports = start_run("first", FIRST_START_TIMEOUT)
    assert "PostgreSQL: reusing the server on localhost:5432" in run.output
    assert "Redis: configured by environment" in run.output
    assert "demo models" not in run.output
    password = run.admin_password()
    token = token_for_admin(run_environment)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    word = f"persists{uuid.uuid4().hex[:10]}"
    payload = record_metadata(f"Kept across runs {word}")
    payload["files"] = {"enabled": False}
    draft = requests.post(f"{api}/records", json=payload, headers=headers, verify=False, timeout=60)
    assert draft.status_code == 201, draft.text
    record_id = draft.json()["id"]
    published = requests.post(
        f"{api}/records/{record_id}/draft/actions/publish", headers=headers, verify=False, timeout=60
    )
    assert published.status_code == 202, published.text
    assert search_ids(api, word) == [record_id]
    run.wait_until_worker_idle()  # the DOI registrations of the new record are done
    assert_stopped_only_what_it_started(run, processes, ports, machine_services, postgres_started, own_redis)

    run, processes, ports = start_run("second", SECOND_START_TIMEOUT)
    assert run.admin_password() == password  # the same account, not a new instance
    record = requests.get(f"{api}/records/{record_id}", verify=False, timeout=60)
    assert record.status_code == 200, record.text
    assert record.json()["metadata"]["title"] == f"Kept across runs {word}"
    assert search_ids(api, word) == [record_id]  # the embedded search server was refilled
    run.wait_until_worker_idle()
    assert_stopped_only_what_it_started(run, processes, ports, machine_services, postgres_started, own_redis)


def test_ctrl_c_while_the_worker_is_busy_stops_too(run_environment, own_redis, start_run):
    """Ctrl-C right after a publication, while the worker registers its DOIs: the run still stops."""
    machine_services = [name for name, port in MACHINE_SERVICES.items() if port_open(port)]
    if "PostgreSQL" not in machine_services:
        pytest.skip("no PostgreSQL on localhost:5432 to check that the run leaves it alone")
    postgres_started = postgres_start_time()
    api = f"https://127.0.0.1:{run_environment['DEMOS_PORT']}/api"
    run, processes, ports = start_run("busy", FIRST_START_TIMEOUT)
    headers = {
        "Authorization": f"Bearer {token_for_admin(run_environment)}",
        "Content-Type": "application/json",
    }
    word = f"busy{uuid.uuid4().hex[:10]}"
    payload = record_metadata(f"Published just before Ctrl-C {word}")
    payload["files"] = {"enabled": False}
    record_id = requests.post(
        f"{api}/records", json=payload, headers=headers, verify=False, timeout=60
    ).json()["id"]
    published = requests.post(
        f"{api}/records/{record_id}/draft/actions/publish", headers=headers, verify=False, timeout=60
    )
    assert published.status_code == 202, published.text
    assert search_ids(api, word) == [record_id]  # its DOI registration is now queued or running
    assert_stopped_only_what_it_started(run, processes, ports, machine_services, postgres_started, own_redis)
