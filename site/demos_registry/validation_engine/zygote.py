"""A warm sandbox: one interpreter inside bubblewrap that has imported the engines, one child per job.

Started by `isolation.WarmSandbox` as `python -m demos_registry.validation_engine.zygote FD RUNNER`.
It imports numpy, scipy, pyhf, pyhs3 and matplotlib once (about two seconds of every fresh
worker), touches no submitted file, and then, for each job that arrives on the control socket FD,
forks a child that runs `RUNNER(job, events)` (the worker's `serve`: rlimits, network guard, the
pipeline). After the child ends, and before the job counts as finished, this process kills every
other process of the sandbox's PID namespace and empties /tmp and /dev/shm, so that nothing of
one job reaches the next. It is not dumpable, so a child can neither ptrace it nor read its memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import shutil
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

PRELOADED_MODULES = (
    "numpy",
    "scipy.optimize",
    "scipy.stats",
    "jsonschema",
    "pyhf",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.tri",
    "demos_registry.validation_engine.pipeline",
    "demos_registry.validation_engine.plots",
    "demos_registry.validation_engine.point_outputs",
    "demos_registry.validation_engine.engines.pyhf",
    "demos_registry.validation_engine.engines.pyhs3",  # pyhs3 itself, through pyhs3_import
)
"""What every job would import anyway. ROOT is left out: it maps ~1 GiB and few jobs need it."""
SCRATCH_DIRECTORIES = ("/tmp", "/dev/shm")
"""The places a child can write besides its output folder: emptied after every job."""
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
MESSAGE_BYTES = 65536
STRAY_KILL_ROUNDS = 100
STRAY_KILL_PAUSE_SECONDS = 0.01


def preload() -> None:
    """Import the engines; one that cannot load here is reported by the job that needs it."""
    for name in PRELOADED_MODULES:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def address_space_bytes() -> int:
    """VmSize of this process: what a child's address-space limit has to leave room for."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def load_runner(spec: str) -> Callable[[dict[str, Any], Any], None]:
    """`module:function`, imported now (before any job)."""
    module_name, _, function_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def run_child(
    control: socket.socket, runner: Callable, job_path: str, events_fd: int, stderr_fd: int
) -> None:
    """In the forked child: drop the control socket, send prints to stderr, run the job, exit."""
    code = 0
    try:
        control.close()
        os.dup2(stderr_fd, sys.stdout.fileno())
        os.dup2(stderr_fd, sys.stderr.fileno())
        os.close(stderr_fd)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with open(job_path) as handle:
            job = json.load(handle)
        runner(job, os.fdopen(events_fd, "w", buffering=1))
    except MemoryError:
        code = 3
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def living_processes() -> list[int]:
    """Every process of the namespace but its init (bubblewrap) and this one; zombies left out."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (1, os.getpid()):
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            pids.append(int(name))
    return pids


def kill_strays() -> bool:
    """Kill and reap what a child left running (daemons, forks); False if it could not be done."""
    for _ in range(STRAY_KILL_ROUNDS):
        strays = living_processes()
        for pid in strays:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        reap()
        if not strays:
            return True
        time.sleep(STRAY_KILL_PAUSE_SECONDS)
    return not living_processes()


def reap() -> None:
    """Collect every exited child (orphans come here: this process is their subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def mount_points() -> list[str]:
    """Where something is mounted in this sandbox (a folder of the caller's must never be emptied)."""
    with open("/proc/self/mountinfo") as mountinfo:
        return [line.split()[4] for line in mountinfo]


def empty_scratch() -> None:
    """Remove whatever the job wrote to /tmp and /dev/shm, permissions a child changed included.

    An entry that is or holds a mount point (a folder bound in by the caller) is left alone.
    """
    mounted = mount_points()
    for directory in SCRATCH_DIRECTORIES:
        if os.path.isdir(directory):
            remove_contents(
                directory,
                keep=lambda path: any(point == path or point.startswith(path + "/") for point in mounted),
            )


def remove_contents(directory: str, keep: Callable[[str], bool] = lambda path: False) -> None:
    """Remove every entry of `directory` but those `keep` names, modes a job set (000) included.

    Used inside the sandbox on its scratch folders and by the caller on a job's folders.
    """
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if keep(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            _make_removable(path)
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _make_removable(root: str) -> None:
    with contextlib.suppress(OSError):
        os.chmod(root, 0o700)
    for directory, subdirectories, _ in os.walk(root):
        for name in subdirectories:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(directory, name), 0o700)


def serve(control: socket.socket, runner: Callable) -> None:
    """Answer jobs until the caller closes the control socket."""
    while True:
        message, fds, _, _ = socket.recv_fds(control, MESSAGE_BYTES, 2)
        if not message:
            return
        request = json.loads(message)
        events_fd, stderr_fd = fds
        pid = os.fork()
        if pid == 0:
            run_child(control, runner, request["job_path"], events_fd, stderr_fd)
        os.close(events_fd)
        os.close(stderr_fd)
        _, status, usage = os.wait4(pid, 0)
        clean = kill_strays()
        empty_scratch()
        answer = {
            "job": request["job"],
            "returncode": os.waitstatus_to_exitcode(status),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "clean": clean,
        }
        control.sendall(json.dumps(answer).encode() + b"\n")
        if not clean:
            return


def main() -> None:
    """Become the zygote: not dumpable, subreaper of every orphan, engines imported, then serve."""
    control = socket.socket(fileno=int(sys.argv[1]))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    preload()
    runner = load_runner(sys.argv[2])
    empty_scratch()  # caches the imports wrote (matplotlib's font list) are in memory now
    hello = {"address_space_bytes": address_space_bytes()}
    control.sendall(json.dumps(hello).encode() + b"\n")
    serve(control, runner)


if __name__ == "__main__":
    main()
