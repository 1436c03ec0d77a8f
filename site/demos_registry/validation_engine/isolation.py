"""Run the validation worker in a separate, limited process and collect its events.

The worker is a fresh interpreter (`subprocess`, no fork of the caller), so the caller's threads,
open connections and memory are never shared with code that parses untrusted files. Where
bubblewrap (`bwrap`) can create namespaces, the worker runs inside it: no network, its own PID
namespace, a private /tmp, read-only binds of the interpreter, the venv and the engine's package,
the submission's files alone (read-only) and the output folder; it dies with its parent. Where it
cannot, the worker runs with its resource limits alone and the report says "sandbox: rlimits only".
In both cases the worker limits its own CPU time and address space, and the parent enforces the
wall-clock limit and kills the whole process group when it runs out.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .limits import SANDBOX_AUTO, SANDBOX_BWRAP, SANDBOX_RLIMITS, ResourceLimits

STDERR_TAIL_BYTES = 4000
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER_MODULE = "demos_registry.validation_engine.worker"
SANDBOX_USER = 65534
"""`nobody`: the worker's user inside bubblewrap's user namespace, without capabilities."""
SYSTEM_DIRECTORIES = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32")
SYSTEM_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/fonts",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
)
"""What of /etc the interpreter, the dynamic linker, ROOT and matplotlib read; nothing else."""
PASSED_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "LD_LIBRARY_PATH", "PYTHONPATH")
"""The only variables of the caller's environment the worker gets: no secrets by construction."""


@dataclass(frozen=True)
class Mount:
    """A folder of the caller's that the sandbox sees at another path (`target`)."""

    source: str
    target: str
    writable: bool = False


@dataclass(frozen=True)
class Sandbox:
    """How the worker is confined: `bwrap` (namespaces plus rlimits) or `rlimits` alone."""

    kind: str
    bwrap: str | None = None
    reason: str = ""

    @property
    def warning(self) -> str | None:
        """What the report says when the worker is not inside bubblewrap."""
        return None if self.kind == SANDBOX_BWRAP else f"sandbox: rlimits only ({self.reason})"

    def describe(self) -> dict[str, Any]:
        """For the report: the kind, and why bubblewrap is not used."""
        return {"kind": self.kind, **({"reason": self.reason} if self.reason else {})}

    def command(
        self,
        argv: list[str],
        readable: Iterable[str] = (),
        writable: Iterable[str] = (),
        mounts: Iterable[Mount] = (),
    ) -> list[str]:
        """`argv` as the sandbox runs it; only `readable`, `writable` and `mounts` of the caller's files are seen."""
        if self.kind != SANDBOX_BWRAP:
            return argv
        return [*bwrap_arguments(self.bwrap, readable, writable, mounts), "--", *argv]

    def environment(self) -> dict[str, str]:
        """The worker's environment: an allow-list of the caller's, the package importable, threads off.

        Inside bubblewrap, HOME is the private /tmp; caches there are gone after each run.
        """
        environment = {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}
        python_path = environment.get("PYTHONPATH", "")
        environment["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + python_path if python_path else "")
        environment["HOME"] = "/tmp" if self.kind == SANDBOX_BWRAP else os.environ.get("HOME", "/tmp")
        environment.update(
            MPLBACKEND="Agg",
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            PYTHONWARNINGS="ignore",
            PYTHONUNBUFFERED="1",
            # PyTensor's compiled-module cache would be shared, writable, between untrusted runs.
            PYTENSOR_FLAGS="cxx=",
        )
        return environment


def bwrap_arguments(
    bwrap: str, readable: Iterable[str], writable: Iterable[str], mounts: Iterable[Mount] = ()
) -> list[str]:
    """Bubblewrap's options: every namespace, no capabilities, read-only system and interpreter.

    `readable` and `writable` appear at their own paths, `mounts` where they say.
    """
    arguments = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(SANDBOX_USER),
        "--gid",
        str(SANDBOX_USER),
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
    ]
    for directory in SYSTEM_DIRECTORIES:
        if os.path.islink(directory):
            arguments += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            arguments += ["--ro-bind", directory, directory]
    for path in SYSTEM_FILES:
        arguments += ["--ro-bind-try", path, path]
    interpreter = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix, _PACKAGE_ROOT}
    for path in sorted(interpreter) + [os.path.abspath(path) for path in readable]:
        arguments += ["--ro-bind", path, path]
    for path in writable:
        arguments += ["--bind", os.path.abspath(path), os.path.abspath(path)]
    for mount in mounts:
        arguments += [
            "--bind" if mount.writable else "--ro-bind",
            os.path.abspath(mount.source),
            mount.target,
        ]
    return [*arguments, "--chdir", "/tmp"]


def choose_sandbox(mode: str) -> Sandbox:
    """Bubblewrap if wanted and usable here, else rlimits alone with the reason.

    `bwrap` as the mode insists on it: a machine where it cannot run raises OSError.
    """
    if mode not in (SANDBOX_AUTO, SANDBOX_BWRAP, SANDBOX_RLIMITS):
        raise ValueError(
            f"unknown sandbox {mode!r}; known: {SANDBOX_AUTO}, {SANDBOX_BWRAP}, {SANDBOX_RLIMITS}"
        )
    if mode == SANDBOX_RLIMITS:
        return Sandbox(SANDBOX_RLIMITS, reason="bubblewrap switched off by the settings")
    bwrap = shutil.which("bwrap")
    problem = "bubblewrap (bwrap) is not installed" if bwrap is None else _bwrap_problem(bwrap)
    if problem is None:
        return Sandbox(SANDBOX_BWRAP, bwrap=bwrap)
    if mode == SANDBOX_BWRAP:
        raise OSError(f"the bubblewrap sandbox is required but unusable: {problem}")
    return Sandbox(SANDBOX_RLIMITS, reason=problem)


@functools.cache
def _bwrap_problem(bwrap: str) -> str | None:
    """Why bubblewrap cannot run the interpreter here (no user namespaces in a container), or None."""
    try:
        completed = subprocess.run(
            Sandbox(SANDBOX_BWRAP, bwrap=bwrap).command([sys.executable, "-c", "pass"]),
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap does not start: {exc}"
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace").strip().splitlines()
        return (
            f"bubblewrap cannot create its sandbox here: {message[-1] if message else completed.returncode}"
        )
    return None


@dataclass
class WorkerRun:
    """What came back from one worker: its events, how it ended, and what it cost."""

    events: list[dict[str, Any]] = field(default_factory=list)
    sandbox: Sandbox | None = None
    warm: bool = False
    finished: bool = False
    failure: str | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0
    stderr_tail: str = ""


def run_sandboxed(
    argv: list[str],
    stdin: bytes,
    limits: ResourceLimits,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    readable: Iterable[str] = (),
    writable: Iterable[str] = (),
) -> WorkerRun:
    """Run `argv` in the sandbox the limits ask for; JSON lines on its stdout become events."""
    sandbox = choose_sandbox(limits.sandbox)
    run = WorkerRun(sandbox=sandbox)
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            sandbox.command(argv, readable, writable),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=sandbox.environment(),
            start_new_session=True,
            close_fds=True,
        )
        process.stdin.write(stdin)
        process.stdin.close()
        timed_out = read_events(process.stdout.fileno(), deadline, run, on_event) or not _exits_before(
            process, deadline
        )
        if timed_out:
            _kill_group(process)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = _worker_exit_code(os.waitstatus_to_exitcode(status), sandbox)
        process.stdout.close()
        run.stderr_tail = stderr_tail(stderr)
    run.wall_seconds = time.monotonic() - started
    conclude(
        run, limits, timed_out, process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024
    )
    return run


def stderr_tail(stderr: Any) -> str:
    """The last few KB a worker wrote to its stderr file: where its crash is explained."""
    stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
    return stderr.read().decode(errors="replace")


def conclude(
    run: WorkerRun, limits: ResourceLimits, timed_out: bool, returncode: int, cpu_seconds: float, maxrss: int
) -> None:
    """Fill in how the worker ended and what it cost, from its events and the kernel's figures."""
    done = next((event for event in run.events if event.get("event") == "done"), None)
    # The kernel's figure, else (inside bubblewrap's PID namespace it misses the worker) the worker's own.
    run.cpu_seconds = max(cpu_seconds, run.cpu_seconds, (done or {}).get("cpu_seconds") or 0.0)
    run.finished = done is not None
    # The worker's own high-water mark ("done", else its last "memory" report): the kernel's
    # ru_maxrss of a forked child also counts the parent's memory at fork time.
    run.peak_rss_bytes = max(run.peak_rss_bytes, (done or {}).get("peak_rss_bytes") or 0) or maxrss
    if timed_out:
        run.failure = f"exceeded the wall-clock limit of {limits.wall_seconds:g} s and was killed"
    elif not run.finished:
        run.failure = _describe_exit(returncode, limits, run.stderr_tail)


def _worker_exit_code(returncode: int, sandbox: Sandbox) -> int:
    """Bubblewrap exits with 128 + N when the worker was ended by signal N: give the signal back."""
    if sandbox.kind == SANDBOX_BWRAP and returncode > 128:
        return -(returncode - 128)
    return returncode


def read_events(
    fd: int,
    deadline: float,
    run: WorkerRun,
    on_event: Callable[[dict[str, Any]], None] | None,
    translate: Callable[[Any], Any] | None = None,
) -> bool:
    """Read JSON lines from `fd` until EOF; True if the deadline passed first.

    `translate` rewrites each event first (the warm sandbox's folder names into the caller's).
    """
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(fd, 65536)
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
                if translate is not None:
                    event = translate(event)
                if event.get("event") == "memory":
                    run.peak_rss_bytes = max(run.peak_rss_bytes, event.get("peak_rss_bytes") or 0)
                    run.cpu_seconds = max(run.cpu_seconds, event.get("cpu_seconds") or 0.0)
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
            return (
                f"was killed (CPU limit {limits.cpu_seconds} s or memory limit {limits.memory_bytes} bytes)"
            )
        if number == signal.SIGABRT:
            return f"aborted, most likely out of memory (limit {limits.memory_bytes} bytes)"
        if number == signal.SIGSEGV:
            return "an engine crashed (segmentation fault)"
        return f"was ended by signal {signal.Signals(number).name}"
    last_line = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else "no message"
    if "MemoryError" in stderr_tail:
        return f"ran out of memory (limit {limits.memory_bytes} bytes): {last_line}"
    return f"exited with code {returncode}: {last_line}"
