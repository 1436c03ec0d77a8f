"""API load benchmark: /api/models against Invenio's /api/records on the same records.

    python benchmarks/load.py --base https://127.0.0.1:5100 --output var/bench/load.json

Against a server run the production way (benchmarks/serve.sh: gunicorn, 2 workers,
HTTPS) holding the bulk-loaded models (benchmarks/bulk_load.py). Loopback only.

Every cell runs one load pattern against one API for ``--duration`` seconds, with
its operations mixed in equal parts: full-text search (10 hits), facet filter
(10 hits), record GET and file download, on random records of the benchmark data; for
Invenio's side also the record's landing page (``/records/<id>``, HTML), which /api/models
has no counterpart of.
Patterns: closed loop with 1 and 10 users (no think time), open loop with Poisson
arrivals at 5, 10 and 20 requests/s. In the open loop, latency counts from the
scheduled arrival, so time spent waiting for a free connection is included (no
coordinated omission). The two APIs alternate within each pattern, so both see the
same machine load. Prints a Markdown table and writes every figure to a JSON file.
"""

import argparse
import json
import os
import platform
import random
import ssl
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import urllib3

BENCHMARK_TAG = "benchmark-data"
SEARCH_TERMS = ["counting", "background", "signal", "neutrino", "excess", "resonance", "higgs", "pedagogical"]
DOMAINS = ["particle", "hadron", "nuclear", "neutrino", "astroparticle", "laser-plasma"]
OPERATIONS = {
    "models": ("search", "filter", "get", "file"),
    "records": ("search", "filter", "get", "landing", "file"),
}
CLOSED_USERS = (1, 10)
OPEN_RATES = (5, 10, 20)


class Target:
    """The URLs of the operations of one API."""

    def __init__(self, api, base, records):
        """records: (id, file key) pairs of the benchmark data."""
        self.api = api
        self.operations = OPERATIONS[api]
        self.base = base.rstrip("/")
        self.records = records

    def url(self, operation, rng):
        """A random request of the operation."""
        record_id, key = rng.choice(self.records)
        term, domain = rng.choice(SEARCH_TERMS), rng.choice(DOMAINS)
        if self.api == "models":
            return {
                "search": f"{self.base}/api/models/search?q={term}&size=10",
                "filter": f"{self.base}/api/models/filter?domain={domain}&size=10",
                "get": f"{self.base}/api/models/{record_id}",
                "file": f"{self.base}/api/models/{record_id}/file",
            }[operation]
        # The REST API's facet parameter is domain=...; "f=domain:..." (the search page's) filters nothing.
        return {
            "search": f"{self.base}/api/records?q={term}&size=10",
            "filter": f"{self.base}/api/records?domain={domain}&size=10",
            "get": f"{self.base}/api/records/{record_id}",
            "landing": f"{self.base}/records/{record_id}",
            "file": f"{self.base}/api/records/{record_id}/files/{key}/content",
        }[operation]


class Recorder:
    """Latencies and outcomes of one cell, per operation (thread-safe)."""

    def __init__(self):
        """Empty."""
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = defaultdict(int)
        self.statuses = defaultdict(lambda: defaultdict(int))

    def add(self, operation, seconds, status):
        """One request's outcome (status None: no response)."""
        with self.lock:
            self.latencies[operation].append(seconds)
            self.statuses[operation][str(status)] += 1
            if status is None or status >= 400:
                self.errors[operation] += 1


def call(session, url):
    """GET a URL reading the whole body; the status, or None when no response came."""
    try:
        return session.request("GET", url, timeout=30, retries=False).status
    except urllib3.exceptions.HTTPError:
        return None


@cache
def tls_context(verify):
    """The client's TLS context, built once.

    Building one per connection (as `requests` does) costs the client ~30 ms per request,
    which would be counted as server latency.
    """
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=verify)


def new_session(verify):
    """The connection pool of one simulated client.

    It opens a new TLS connection whenever the server closed the last one, as gunicorn's sync
    workers do after every response.
    """
    return urllib3.PoolManager(ssl_context=tls_context(verify), maxsize=1)


def closed_loop(target, users, duration, verify, seed):
    """``users`` clients, each sending its next request as soon as the last one returned."""
    recorder = Recorder()
    deadline = time.monotonic() + duration

    def user(number):
        rng = random.Random(seed * 1000 + number)
        session = new_session(verify)
        turn = number
        while time.monotonic() < deadline:
            operation = target.operations[turn % len(target.operations)]
            turn += 1
            url = target.url(operation, rng)
            started = time.monotonic()
            status = call(session, url)
            recorder.add(operation, time.monotonic() - started, status)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder, time.monotonic() - started


def open_loop(target, rate, duration, verify, seed):
    """Poisson arrivals at ``rate`` per second for ``duration`` seconds, whatever the server does."""
    recorder = Recorder()
    rng = random.Random(seed)
    local = threading.local()

    def request(operation, url, scheduled):
        if not hasattr(local, "session"):
            local.session = new_session(verify)
        status = call(local.session, url)
        recorder.add(operation, time.monotonic() - scheduled, status)

    started = time.monotonic()
    arrival = started
    with ThreadPoolExecutor(max_workers=max(16, int(rate * 4))) as pool:
        turn = 0
        while True:
            arrival += rng.expovariate(rate)
            if arrival - started >= duration:
                break
            operation = target.operations[turn % len(target.operations)]
            turn += 1
            url = target.url(operation, rng)
            time.sleep(max(0.0, arrival - time.monotonic()))
            pool.submit(request, operation, url, arrival)
    return recorder, time.monotonic() - started


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary(values, errors, elapsed):
    """Count, throughput, error rate and latency percentiles (ms) of one operation or cell."""
    values = sorted(values)

    def milliseconds(seconds):
        return None if seconds is None else round(seconds * 1000, 1)

    return {
        "requests": len(values),
        "throughput": round(len(values) / elapsed, 2) if elapsed else None,
        "error_rate": round(errors / len(values), 4) if values else None,
        "p50_ms": milliseconds(percentile(values, 0.50)),
        "p95_ms": milliseconds(percentile(values, 0.95)),
        "p99_ms": milliseconds(percentile(values, 0.99)),
        "mean_ms": milliseconds(statistics.fmean(values)) if values else None,
    }


def load_average():
    """The 1-minute load average of the machine."""
    return round(os.getloadavg()[0], 2)


def benchmark_records(base, verify, limit):
    """(id, first file key) of up to ``limit`` benchmark records, read through /api/records."""
    session = new_session(verify)
    records, page = [], 1
    while len(records) < limit:
        response = session.request(
            "GET",
            f"{base}/api/records",
            fields={"q": f"custom_fields.demos\\:tags:{BENCHMARK_TAG}", "size": 100, "page": page},
            timeout=60,
        )
        if response.status != 200:
            sys.exit(f"{base}/api/records answered {response.status}: is benchmarks/serve.sh running?")
        hits = response.json()["hits"]["hits"]
        if not hits:
            break
        for hit in hits:
            keys = sorted(hit.get("files", {}).get("entries", {}))
            if keys:
                records.append((hit["id"], keys[0]))
        page += 1
    if not records:
        sys.exit(f"no records tagged {BENCHMARK_TAG!r} at {base}: run benchmarks/bulk_load.py first")
    return records[:limit]


def warm_up(targets, verify):
    """A few requests of every kind on every worker before measuring (imports, caches, pools)."""
    rng = random.Random(0)
    session = new_session(verify)
    for target in targets:
        for _ in range(4):
            for operation in target.operations:
                call(session, target.url(operation, rng))


def run_cell(pattern, load, target, duration, verify, seed):
    """One cell: a pattern against one API; its summary per operation and in all."""
    before = load_average()
    if pattern == "closed":
        recorder, elapsed = closed_loop(target, load, duration, verify, seed)
    else:
        recorder, elapsed = open_loop(target, load, duration, verify, seed)
    all_latencies = [v for values in recorder.latencies.values() for v in values]
    return {
        "pattern": pattern,
        "load": load,
        "api": target.api,
        "seconds": round(elapsed, 1),
        "load_average_before": before,
        "load_average_after": load_average(),
        "all": summary(all_latencies, sum(recorder.errors.values()), elapsed),
        "operations": {
            operation: {
                **summary(recorder.latencies[operation], recorder.errors[operation], elapsed),
                "statuses": dict(recorder.statuses[operation]),
            }
            for operation in target.operations
        },
    }


def cell_label(cell):
    """Human name of a cell's load pattern."""
    if cell["pattern"] == "closed":
        return f"closed, {cell['load']} user{'s' if cell['load'] > 1 else ''}"
    return f"open, {cell['load']} req/s"


def markdown(result):
    """The result as a Markdown table (one row per cell and operation)."""

    def fmt(value):
        return "–" if value is None else f"{value:g}"

    lines = [
        (
            f"Machine: {result['machine']['summary']}; {result['date']}; {result['records']} records; "
            f"{result['duration']} s per cell"
        ),
        "",
        "| load | API | operation | requests | req/s | p50 ms | p95 ms | p99 ms | errors | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in result["cells"]:
        rows = [*cell["operations"].items(), ("all", cell["all"])]
        for operation, stats in rows:
            lines.append(
                f"| {cell_label(cell)} | /api/{cell['api']} | {operation} | {stats['requests']} | "
                f"{fmt(stats['throughput'])} | {fmt(stats['p50_ms'])} | {fmt(stats['p95_ms'])} | "
                f"{fmt(stats['p99_ms'])} | {fmt(round(100 * (stats['error_rate'] or 0), 2))} % | "
                f"{cell['load_average_before']}→{cell['load_average_after']} |"
            )
    return "\n".join(lines)


def machine():
    """What the figures were measured on."""
    cores = os.cpu_count()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("\n")[0].split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "summary": f"{model or platform.machine()}, {cores} cores{memory}, Python {platform.python_version()}",
        "cores": cores,
        "platform": platform.platform(),
    }


def main():
    """Run every cell, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="https://127.0.0.1:5100")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per cell")
    parser.add_argument("--records", type=int, default=1000, help="benchmark records to draw requests from")
    parser.add_argument("--users", type=int, nargs="*", default=list(CLOSED_USERS))
    parser.add_argument("--rates", type=float, nargs="*", default=list(OPEN_RATES))
    parser.add_argument("--apis", nargs="+", default=["models", "records"], choices=["models", "records"])
    parser.add_argument("--output", type=Path, default=Path("var/bench/load.json"))
    parser.add_argument(
        "--verify", default=False, help="CA bundle to verify TLS with (default: self-signed, no check)"
    )
    args = parser.parse_args()
    if not args.base.startswith(("https://127.", "http://127.", "https://localhost", "http://localhost")):
        sys.exit("loopback only: --base must be a 127.x or localhost URL")
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    records = benchmark_records(args.base, args.verify, args.records)
    targets = {api: Target(api, args.base, records) for api in args.apis}
    warm_up(targets.values(), args.verify)
    plan = [("closed", users) for users in args.users] + [("open", rate) for rate in args.rates]
    cells = []
    for index, (pattern, load) in enumerate(plan):
        order = args.apis if index % 2 == 0 else list(reversed(args.apis))
        for api in order:
            cell = run_cell(pattern, load, targets[api], args.duration, args.verify, seed=index)
            cells.append(cell)
            stats = cell["all"]
            print(
                f"{cell_label(cell):>16} /api/{api:<8} {stats['requests']:5d} requests, "
                f"{stats['throughput']} req/s, p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms, "
                f"errors {stats['error_rate']}, load {cell['load_average_after']}",
                file=sys.stderr,
            )
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": args.base,
        "machine": machine(),
        "records": len(records),
        "duration": args.duration,
        "cells": cells,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1))
    print(markdown(result))


if __name__ == "__main__":
    main()
