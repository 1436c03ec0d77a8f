"""Run a validation job in a warm sandbox when one can take it, else in a fresh worker process.

A fresh worker (isolation.run_sandboxed) spends about two seconds starting bubblewrap and
importing numpy, scipy, pyhf, pyhs3 and matplotlib before it reads the first byte of a model.
A warm sandbox (zygote.py) is one such process, started once per caller process and kept: each
job is a child it forks, confined exactly as a fresh worker (same bubblewrap namespaces, same
rlimits and network guard set by the child before it reads anything). The job's files are
linked (or copied) into the sandbox's read-only input folder and its figures come back from its
output folder; the zygote kills whatever a child left running and empties /tmp and /dev/shm
before the next job. Used only inside bubblewrap (its PID namespace is what makes "everything a
job started" knowable), when the job's memory limit leaves room above the preloaded engines,
and when no other thread of the caller is using this process's sandbox; otherwise, and with
`DEMOS_VALIDATION_WARM=0`, the fresh worker runs as before.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .inputs import display_names
from .isolation import (
    SANDBOX_BWRAP,
    WORKER_MODULE,
    Mount,
    Sandbox,
    WorkerRun,
    choose_sandbox,
    conclude,
    read_events,
    run_sandboxed,
    stderr_tail,
)
from .limits import MIB, ResourceLimits
from .zygote import remove_contents

logger = logging.getLogger(__name__)

WARM_VARIABLE = "DEMOS_VALIDATION_WARM"
"""1 (default): jobs run in the warm sandbox where bubblewrap runs; 0: a fresh worker per job."""
ZYGOTE_MODULE = "demos_registry.validation_engine.zygote"
WORKER_RUNNER = f"{WORKER_MODULE}:serve"
STARTUP_SECONDS = 120.0
"""How long the zygote may take to import the engines (a cold disk on a small machine)."""
ANSWER_SECONDS = 30.0
"""How long cleaning up after a finished job may take before the sandbox is given up."""
MEMORY_HEADROOM_BYTES = 512 * MIB
"""A job runs warm only if its address-space limit exceeds the zygote's by at least this much."""
JOB_FILE = "job.json"
INSIDE_INPUTS = "/job/in"
INSIDE_OUTPUTS = "/job/out"
"""Where a job finds its files and writes its figures: outside /tmp, which the zygote empties."""


class WarmSandboxError(RuntimeError):
    """The zygote did not start or stopped answering; the job goes to a fresh worker instead."""


class WarmSandbox:
    """One zygote inside bubblewrap, with its input and output folders, serving one job at a time."""

    def __init__(self, sandbox: Sandbox, runner: str = WORKER_RUNNER, readable: Iterable[str] = ()):
        self.sandbox = sandbox
        self.owner = os.getpid()
        self.busy = threading.Lock()
        self.jobs = 0
        self.buffer = b""
        self.process: subprocess.Popen | None = None
        self.folder = tempfile.mkdtemp(prefix="demos-warm-sandbox-")
        self.inputs = os.path.join(self.folder, "in")
        self.outputs = os.path.join(self.folder, "out")
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - the zygote's log, kept as long as it runs
        self.control, theirs = socket.socketpair()
        _instances.append(self)
        try:
            self._start(theirs, runner, readable)
        except BaseException:  # cut short (interpreter exit, a signal): leave nothing behind
            self.close()
            raise

    def _start(self, theirs: socket.socket, runner: str, readable: Iterable[str]) -> None:
        """Start the zygote with the other end of the control socket and wait for its greeting."""
        os.makedirs(self.inputs)
        os.makedirs(self.outputs)
        command = self.sandbox.command(
            [sys.executable, "-m", ZYGOTE_MODULE, str(theirs.fileno()), runner],
            readable,
            mounts=[Mount(self.inputs, INSIDE_INPUTS), Mount(self.outputs, INSIDE_OUTPUTS, writable=True)],
        )
        try:
            self.process = start_from_keeper_thread(
                lambda: subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=self.log,
                    stderr=self.log,
                    env=self.sandbox.environment(),
                    start_new_session=True,
                    pass_fds=[theirs.fileno()],
                )
            )
        finally:
            theirs.close()
        hello = self._answer(time.monotonic() + STARTUP_SECONDS)
        if hello is None:
            raise WarmSandboxError(f"the warm sandbox did not start: {self._log_tail()}")
        self.address_space_bytes = int(hello["address_space_bytes"])

    def takes(self, limits: ResourceLimits) -> bool:
        """Whether a job with these limits fits: its address space must leave room above the zygote's."""
        return limits.memory_bytes >= self.address_space_bytes + MEMORY_HEADROOM_BYTES

    @property
    def alive(self) -> bool:
        """The zygote is running and belongs to this process (not inherited through a fork)."""
        return self.owner == os.getpid() and self.process is not None and self.process.poll() is None

    def run(
        self,
        job: dict[str, Any],
        limits: ResourceLimits,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> WorkerRun:
        """Run one job in a child of the zygote: events, exit and costs as a fresh worker gives them.

        Anything that interrupts the exchange (a Celery time limit, a failing `on_event`) ends the
        whole sandbox: a child left running must not answer for the next job.
        """
        run = WorkerRun(sandbox=self.sandbox, warm=True)
        started = time.monotonic()
        output_dir = job.get("output_dir")
        self._empty_folders()
        staged = {**job, **self._stage_inputs(job.get("paths", [])), "limits": limits.to_dict()}
        if output_dir:
            staged["output_dir"] = INSIDE_OUTPUTS
        with open(os.path.join(self.inputs, JOB_FILE), "w") as handle:
            json.dump(staged, handle)
        with tempfile.TemporaryFile() as stderr:
            try:
                timed_out, answer = self._exchange(
                    run, started + limits.wall_seconds, stderr, on_event, output_dir
                )
            except BaseException:
                self.close()
                raise
            if answer is None or not answer.get("clean"):
                # Over time, or the zygote died or could not clean up: end the whole sandbox.
                self.close()
            run.stderr_tail = stderr_tail(stderr)
        if output_dir:
            self._collect_outputs(output_dir)
        self._empty_folders()
        run.wall_seconds = time.monotonic() - started
        if answer is None and not timed_out:
            run.stderr_tail += "\nthe warm sandbox stopped during the job"
        answer = answer or {}
        conclude(
            run,
            limits,
            timed_out,
            answer.get("returncode", -signal.SIGKILL),
            answer.get("cpu_seconds", 0.0),
            maxrss=0,
        )
        return run

    def _exchange(
        self,
        run: WorkerRun,
        deadline: float,
        stderr: Any,
        on_event: Callable[[dict[str, Any]], None] | None,
        output_dir: str | None,
    ) -> tuple[bool, dict[str, Any] | None]:
        """Hand the staged job to the zygote, read its events, then its answer for this very job."""
        self.jobs += 1
        events_read, events_write = os.pipe()
        try:
            request = {"job": self.jobs, "job_path": f"{INSIDE_INPUTS}/{JOB_FILE}"}
            socket.send_fds(self.control, [json.dumps(request).encode()], [events_write, stderr.fileno()])
        finally:
            os.close(events_write)
        try:
            timed_out = read_events(
                events_read, deadline, run, on_event, translate=self._translator(output_dir)
            )
        finally:
            os.close(events_read)
        if timed_out:
            return True, None
        answer = self._answer(max(deadline, time.monotonic() + ANSWER_SECONDS))
        return False, answer if answer is not None and answer.get("job") == self.jobs else None

    def close(self) -> None:
        """Stop the zygote and everything in its sandbox, and remove its folders."""
        if self.owner != os.getpid():
            return
        with contextlib.suppress(OSError):
            self.control.close()
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(ValueError):
            _instances.remove(self)

    def _stage_inputs(self, paths: list[str]) -> dict[str, Any]:
        """Link (or copy) the job's files into the input folder; the engine sees them under their own names."""
        staged = []
        for index, path in enumerate(paths):
            if not os.path.isfile(path):
                staged.append(path)  # reported by the engine as unreadable, as in a fresh worker
                continue
            folder = os.path.join(self.inputs, str(index))
            os.makedirs(folder)
            target = os.path.join(folder, os.path.basename(path))
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
            staged.append(f"{INSIDE_INPUTS}/{index}/{os.path.basename(path)}")
        return {"paths": staged, "display_names": display_names(paths)}

    def _translator(self, output_dir: str | None) -> Callable[[Any], Any] | None:
        """Events name files in the sandbox's output folder: rename them to the caller's."""
        if not output_dir:
            return None
        inside, outside = INSIDE_OUTPUTS, os.path.abspath(output_dir)

        def translate(value: Any) -> Any:
            if isinstance(value, str):
                return outside + value[len(inside) :] if value.startswith(inside + "/") else value
            if isinstance(value, list):
                return [translate(item) for item in value]
            if isinstance(value, dict):
                return {key: translate(item) for key, item in value.items()}
            return value

        return translate

    def _collect_outputs(self, output_dir: str) -> None:
        os.makedirs(output_dir, exist_ok=True)
        for directory, _, files in os.walk(self.outputs):
            target = os.path.join(output_dir, os.path.relpath(directory, self.outputs))
            os.makedirs(target, exist_ok=True)
            for name in files:
                source = os.path.join(directory, name)
                if os.path.isfile(source) and not os.path.islink(source):
                    shutil.move(source, os.path.join(target, name))

    def _empty_folders(self) -> None:
        for folder in (self.inputs, self.outputs):
            if os.path.isdir(folder):
                remove_contents(folder)

    def _answer(self, deadline: float) -> dict[str, Any] | None:
        """The zygote's next line on the control socket, or None if it ended or the deadline passed."""
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                self.control.settimeout(remaining)
                chunk = self.control.recv(65536)
            except (TimeoutError, OSError):
                return None
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def _log_tail(self) -> str:
        return stderr_tail(self.log).strip()[-1000:] or "no message"


_keeper_threads: dict[int, ThreadPoolExecutor] = {}


def start_from_keeper_thread(start: Callable[[], subprocess.Popen]) -> subprocess.Popen:
    """Start the zygote from a thread that lives as long as the process.

    Bubblewrap's `--die-with-parent` ends the sandbox when the *thread* that started it ends
    (the kernel's parent-death signal follows the thread), and callers (a Celery pool process's
    start-up thread, a web server's request threads) come and go.
    """
    keeper = _keeper_threads.get(os.getpid())
    if keeper is None:
        keeper = _keeper_threads[os.getpid()] = ThreadPoolExecutor(1, thread_name_prefix="warm-sandbox")
    return keeper.submit(start).result()


_instances: list[WarmSandbox] = []
_sandboxes: dict[int, WarmSandbox] = {}
_sandboxes_lock = threading.Lock()
_starts: dict[int, threading.Event] = {}
"""Per process: set when the background start of its warm sandbox has ended."""


def warm_wanted(sandbox: Sandbox) -> bool:
    """Warm only inside bubblewrap (its PID namespace makes "what a job started" knowable) and if not switched off."""
    return sandbox.kind == SANDBOX_BWRAP and os.environ.get(WARM_VARIABLE, "1") != "0"


def warm_sandbox(sandbox: Sandbox) -> WarmSandbox | None:
    """The warm sandbox of the calling process, started now if needed; None where it cannot or may not run."""
    if not warm_wanted(sandbox):
        return None
    with _sandboxes_lock:
        current = _sandboxes.get(os.getpid())
        if current is not None and current.alive:
            return current
        if current is not None:
            current.close()
        try:
            current = WarmSandbox(sandbox)
        except (OSError, RuntimeError) as exc:  # WarmSandboxError, or no new threads at interpreter exit
            logger.warning("no warm validation sandbox, jobs run in fresh workers: %s", exc)
            _sandboxes.pop(os.getpid(), None)
            return None
        _sandboxes[os.getpid()] = current
        return current


def running_warm_sandbox(sandbox: Sandbox) -> WarmSandbox | None:
    """The process's warm sandbox if it runs (waiting for one being started), else None."""
    if not warm_wanted(sandbox):
        return None
    starting = _starts.get(os.getpid())
    if starting is not None:
        starting.wait(STARTUP_SECONDS)
    with _sandboxes_lock:
        current = _sandboxes.get(os.getpid())
        return current if current is not None and current.alive else None


def start_in_background(sandbox: Sandbox) -> None:
    """Start the warm sandbox for the jobs to come without holding up the caller; they wait for it."""
    starting = _starts.get(os.getpid())
    if not warm_wanted(sandbox) or (starting is not None and not starting.is_set()):
        return
    done = _starts[os.getpid()] = threading.Event()

    def start() -> None:
        try:
            warm = warm_sandbox(sandbox)
            logger.info("warm validation sandbox %s", "started" if warm else "could not start (see above)")
        finally:
            done.set()

    threading.Thread(target=start, name="warm-sandbox-start", daemon=True).start()


@atexit.register
def _close_sandboxes() -> None:
    for warm in list(_instances):
        warm.close()


def run_worker(
    job: dict[str, Any], limits: ResourceLimits, on_event: Callable[[dict[str, Any]], None] | None = None
) -> WorkerRun:
    """Run one job, limited and sandboxed: in the warm sandbox if free and fitting, else in a fresh worker.

    A process's first job runs in a fresh worker and then starts the warm sandbox in the
    background, so a one-off caller (the `demos-validate` CLI) pays nothing for it; Celery's
    validation workers start theirs with each pool process (validation_runs/warm_start.py).
    Either way the worker reads the job's files and writes its output folder, nothing else of the
    caller's.
    """
    output_dir = job.get("output_dir")
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
    sandbox = choose_sandbox(limits.sandbox)
    warm = running_warm_sandbox(sandbox)
    if warm is not None and warm.takes(limits) and warm.busy.acquire(blocking=False):
        try:
            return warm.run(job, limits, on_event)
        finally:
            warm.busy.release()
    run = run_sandboxed(
        [sys.executable, "-m", WORKER_MODULE],
        json.dumps({**job, "limits": limits.to_dict()}).encode(),
        limits,
        on_event,
        readable=[path for path in job.get("paths", []) if os.path.exists(path)],
        writable=[output_dir] if output_dir else [],
    )
    if warm is None:
        start_in_background(sandbox)
    return run
