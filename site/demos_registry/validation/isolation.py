"""Run the validation worker in a separate, limited process and collect its events.

The worker is a fresh interpreter (`subprocess`, no fork of the caller), so the caller's threads,
open connections and memory are never shared with code that parses untrusted files. The worker
limits its own CPU time and address space; the parent enforces the wall-clock limit and kills
the whole process group when it runs out.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .limits import ResourceLimits

STDERR_TAIL_BYTES = 4000
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class WorkerRun:
    """What came back from one worker: its events, how it ended, and what it cost."""

    events: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    failure: str | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0
    stderr_tail: str = ""


def run_worker(
    job: dict[str, Any], limits: ResourceLimits, on_event: Callable[[dict[str, Any]], None] | None = None
) -> WorkerRun:
    run = WorkerRun()
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "demos_registry.validation.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=_worker_environment(),
            start_new_session=True,
            close_fds=True,
        )
        process.stdin.write(json.dumps({**job, "limits": limits.to_dict()}).encode())
        process.stdin.close()
        timed_out = _read_events(process, deadline, run, on_event) or not _exits_before(process, deadline)
        if timed_out:
            _kill_group(process)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        process.stdout.close()
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
        run.stderr_tail = stderr.read().decode(errors="replace")
    run.wall_seconds = time.monotonic() - started
    run.cpu_seconds = usage.ru_utime + usage.ru_stime
    done = next((event for event in run.events if event.get("event") == "done"), None)
    run.finished = done is not None
    # The worker's own high-water mark ("done", else its last "memory" report): the kernel's
    # ru_maxrss of a forked child also counts the parent's memory at fork time.
    run.peak_rss_bytes = max(run.peak_rss_bytes, (done or {}).get("peak_rss_bytes") or 0) or usage.ru_maxrss * 1024
    if timed_out:
        run.failure = f"exceeded the wall-clock limit of {limits.wall_seconds:g} s and was killed"
    elif not run.finished:
        run.failure = _describe_exit(process.returncode, limits, run.stderr_tail)
    return run


SECRET_VARIABLE_MARKERS = ("SECRET", "PASSWORD", "PASSWD", "TOKEN", "CREDENTIAL", "PRIVATE", "_KEY", "_URL", "_URI")
"""Environment variables whose names contain one of these (or start with INVENIO_) may hold secrets:
database and broker URLs with passwords, the secret key, DataCite credentials."""


def _is_secret_variable(name: str) -> bool:
    upper = name.upper()
    return upper.startswith("INVENIO_") or any(marker in upper for marker in SECRET_VARIABLE_MARKERS)


def _worker_environment() -> dict[str, str]:
    """The caller's environment without its secrets (the worker runs untrusted model code), with the
    package importable and threads and GUIs kept off."""
    environment = {name: value for name, value in os.environ.items() if not _is_secret_variable(name)}
    python_path = environment.get("PYTHONPATH", "")
    environment["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + python_path if python_path else "")
    environment.update(
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONWARNINGS="ignore",
        PYTHONUNBUFFERED="1",
    )
    return environment


def _read_events(
    process: subprocess.Popen, deadline: float, run: WorkerRun, on_event: Callable[[dict[str, Any]], None] | None
) -> bool:
    """Read JSON lines until EOF; True if the deadline passed first."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                return False
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "memory":
                    run.peak_rss_bytes = max(run.peak_rss_bytes, event.get("peak_rss_bytes") or 0)
                    continue
                run.events.append(event)
                if on_event is not None:
                    on_event(event)
    finally:
        selector.close()


def _exits_before(process: subprocess.Popen, deadline: float) -> bool:
    """Poll, without reaping (so wait4 still gets its resource usage), until the worker exits."""
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.01)
    return False


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _describe_exit(returncode: int, limits: ResourceLimits, stderr_tail: str) -> str:
    if returncode < 0:
        number = -returncode
        if number == signal.SIGXCPU:
            return f"exceeded the CPU time limit of {limits.cpu_seconds} s"
        if number == signal.SIGKILL:
            return f"was killed (CPU limit {limits.cpu_seconds} s or memory limit {limits.memory_bytes} bytes)"
        if number == signal.SIGABRT:
            return f"aborted, most likely out of memory (limit {limits.memory_bytes} bytes)"
        if number == signal.SIGSEGV:
            return "an engine crashed (segmentation fault)"
        return f"was ended by signal {signal.Signals(number).name}"
    last_line = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else "no message"
    if "MemoryError" in stderr_tail:
        return f"ran out of memory (limit {limits.memory_bytes} bytes): {last_line}"
    return f"exited with code {returncode}: {last_line}"
