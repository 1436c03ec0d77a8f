"""Entry point of the sandboxed validation process: `python -m demos_registry.validation_engine.worker`.

Reads one job (JSON) on stdin, limits itself before touching any submitted file, and writes
events as JSON lines on the stdout it was given; whatever the engines print goes to stderr.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import socket
import sys
import threading
import time
from typing import Any, TextIO

CLONE_NEWNET = 0x40000000
MEMORY_REPORT_SECONDS = 0.25


def apply_resource_limits(limits: dict[str, Any]) -> None:
    """CPU time, address space and no core dumps, set before any submitted file is read."""
    cpu = int(limits["cpu_seconds"])
    memory = int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def own_peak_rss_bytes() -> int | None:
    """The high-water mark of this process's own memory (VmHWM).

    `getrusage` would also count the parent's memory at fork time (Linux keeps the larger of the
    pre-exec and the new image).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def own_cpu_seconds() -> float:
    """CPU time of this process: inside bubblewrap's PID namespace the parent's rusage misses it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def isolate_network() -> str:
    """A private network namespace if the kernel lets us, and in any case no sockets from Python."""
    libc = ctypes.CDLL(None, use_errno=True)
    isolation = "namespace" if libc.unshare(CLONE_NEWNET) == 0 else "socket-guard"

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise PermissionError("network access is disabled during model validation")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    return isolation


def main() -> None:
    """Run the job on stdin in this process, limited first, with events on the original stdout."""
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(json.load(sys.stdin), events)


def serve(job: dict[str, Any], events: TextIO) -> None:
    """Limit this process, cut its network, run the job and write its events to `events`.

    Shared by the fresh worker (`main`) and the child a warm sandbox forks (`zygote.py`).
    """
    apply_resource_limits(job["limits"])
    network = isolate_network()

    from .pipeline import run_pipeline
    from .report import json_safe

    lock = threading.Lock()

    def emit(event: dict[str, Any]) -> None:
        line = json.dumps(json_safe(event)) + "\n"
        with lock:
            events.write(line)

    def report_memory() -> None:
        # A worker killed at a limit sends no "done": the last of these are its figures.
        try:
            while True:
                emit(
                    {
                        "event": "memory",
                        "peak_rss_bytes": own_peak_rss_bytes(),
                        "cpu_seconds": own_cpu_seconds(),
                    }
                )
                time.sleep(MEMORY_REPORT_SECONDS)
        except (ValueError, OSError, MemoryError):  # the events pipe closed: the run is over
            return

    threading.Thread(target=report_memory, daemon=True).start()
    emit({"event": "sandbox", "network": network})
    run_pipeline(job, emit)
    emit({"event": "done", "cpu_seconds": own_cpu_seconds(), "peak_rss_bytes": own_peak_rss_bytes()})
    with lock:
        events.close()


if __name__ == "__main__":
    main()
