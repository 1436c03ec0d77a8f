"""Ingestion benchmark: the import CLI, and validation throughput of one Celery worker.

    source var/bench/env.sh && python benchmarks/ingest.py --import-count 10 --validate-count 10

Against the benchmark instance of benchmarks/serve.sh (its Celery worker runs
DEMOS_BENCH_CONCURRENCY processes). Two measurements:

1. ``invenio demos import --workers`` of fresh registry entries (new model ids, each made
   from one of the small demo models): the command creates every draft, the instance's
   workers validate them, and the command publishes each once judged; the time runs
   until the last is published. Every entry's files are bytes the registry has not seen
   (the model followed by whitespace of its own), so the engine and the figures run for
   each: the full validation (``--same-content`` imports byte-identical copies, whose
   engine results and figures the content cache shares). The time for 1,000 models is the
   command's start-up plus 1,000 times the time per model (measured without the
   start-up), unless --import-count 1000.
2. ``invenio demos revalidate`` of published benchmark models: the validations are
   queued to the worker; the time runs until every one has a verdict (polled through
   GET /api/models/<id>/validation). Their content was validated before, so this is
   the registry's cost of a verdict whose engine results are reused by content (the
   engine's own cost: benchmarks/validation.py).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
import urllib3
from bulk_load import write_entries
from load import benchmark_records, load_average, machine

ROOT = Path(__file__).resolve().parent.parent
FINISHED = {"passed", "failed", "needs_review", "overridden"}


def invenio(*args):
    """Run an ``invenio`` command of the benchmark instance; its output."""
    return subprocess.run(["invenio", *args], check=True, capture_output=True, text=True, cwd=ROOT).stdout


def time_import(count, folder, distinct, base, timeout):
    """Seconds to import ``count`` fresh entries with the import CLI, until their figures, and of its start-up.

    The import ends when the last model is published; its figures are drawn after the
    verdicts by a task of their own, so the second time runs until every imported model's
    report lists them. The start-up (application, services) is the time of a second import
    of the first entry, which the command skips.
    """
    prefix = f"ingest-{datetime.now(UTC):%Y%m%d%H%M%S}"
    entries = write_entries(folder / prefix, count, prefix=prefix, distinct=distinct)
    started = time.monotonic()
    output = invenio("demos", "import", "--workers", *map(str, entries))
    elapsed = time.monotonic() - started
    record_ids = [line.rsplit(" ", 1)[-1] for line in output.splitlines() if ": created " in line]
    if len(record_ids) != count:
        sys.exit(f"only {len(record_ids)} of {count} entries were imported:\n{output}")
    wait_for_figures(base, record_ids, started + timeout)
    with_figures = time.monotonic() - started
    started = time.monotonic()
    invenio("demos", "import", str(entries[0]))
    return elapsed, with_figures, time.monotonic() - started


def wait_for_figures(base, record_ids, deadline):
    """Return once the validation report of every record names its figures."""
    session = requests.Session()
    for record_id in record_ids:  # drawn roughly in import order: one record polled at a time
        while not figures_drawn(session, base, record_id):
            if time.monotonic() > deadline:
                sys.exit(f"the figures of {record_id} were not drawn in time: is the worker running?")
            time.sleep(0.5)


def figures_drawn(session, base, record_id):
    """Whether the report of the verdict names its figures (the plots check)."""
    response = session.get(f"{base}/api/records/{record_id}/validation", timeout=60, verify=False)
    response.raise_for_status()
    checks = (response.json().get("report") or {}).get("checks", [])
    return any(check.get("id") == "plots" for check in checks)


def validation_status(session, base, record_id):
    """The validation status of a model, through the API."""
    response = session.get(f"{base}/api/models/{record_id}/validation", timeout=30, verify=False)
    response.raise_for_status()
    return response.json()["status"]


def time_validations(count, base, timeout):
    """Seconds for the worker to validate ``count`` published benchmark models."""
    session = requests.Session()
    session.verify = False
    record_ids = [record_id for record_id, _ in benchmark_records(base, False, count)]
    started = time.monotonic()
    invenio("demos", "revalidate", *record_ids)
    waiting = set(record_ids)
    while waiting:
        if time.monotonic() - started > timeout:
            sys.exit(f"{len(waiting)} validations not finished after {timeout} s: is the worker running?")
        time.sleep(1)
        waiting = {
            record_id for record_id in waiting if validation_status(session, base, record_id) not in FINISHED
        }
    return time.monotonic() - started, len(record_ids)


def main():
    """Both measurements; a Markdown summary and a JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base", default=f"https://{os.environ.get('INVENIO_SITE_HOSTNAME', '127.0.0.1:5100')}"
    )
    parser.add_argument("--import-count", type=int, default=10)
    parser.add_argument("--validate-count", type=int, default=10, help="0: no re-validation measurement")
    parser.add_argument(
        "--same-content",
        action="store_true",
        help="import copies of the six models' bytes (engine and figures reused by content)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=7200,
        help="seconds the import (until figures) or the validations may take",
    )
    parser.add_argument("--entries", type=Path, default=ROOT / "var" / "bench" / "ingest-entries")
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench" / "ingest.json")
    args = parser.parse_args()
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    load_before = load_average()
    import_seconds, figures_seconds, startup_seconds = time_import(
        args.import_count, args.entries, not args.same_content, args.base, args.timeout
    )
    load_between = load_average()
    per_model = max(0.0, import_seconds - startup_seconds) / args.import_count
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "worker_processes": int(os.environ.get("DEMOS_BENCH_CONCURRENCY", "1")),
        "import": {
            "models": args.import_count,
            "distinct_content": not args.same_content,
            "seconds": round(import_seconds, 1),
            "seconds_until_figures": round(figures_seconds, 1),
            "startup_seconds": round(startup_seconds, 1),
            "seconds_per_model": round(per_model, 2),
            "seconds_for_1000": round(startup_seconds + per_model * 1000),
            "seconds_for_1000_until_figures": round(
                startup_seconds + max(0.0, figures_seconds - startup_seconds) / args.import_count * 1000
            ),
            "load_average": [load_before, load_between],
        },
    }
    if args.validate_count:
        validation_seconds, validated = time_validations(args.validate_count, args.base, args.timeout)
        result["validation"] = {
            "models": validated,
            "seconds": round(validation_seconds, 1),
            "models_per_minute": round(60 * validated / validation_seconds, 1),
            "load_average": [load_between, load_average()],
        }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1))
    print(
        f"Machine: {result['machine']['summary']}; {result['date']}; {result['worker_processes']} worker processes"
    )
    print()
    print("| measurement | models | seconds | per model | derived | load avg |")
    print("|---|---|---|---|---|---|")
    imported = result["import"]
    content = "new bytes each" if imported["distinct_content"] else "copies of six contents"
    print(
        f"| import CLI (drafts, validation by the workers, publication; {content}) | {imported['models']} | "
        f"{imported['seconds']} (start-up {imported['startup_seconds']}) | {imported['seconds_per_model']} s | "
        f"1,000 models ≈ {imported['seconds_for_1000'] / 60:.0f} min | {load_before}→{load_between} |"
    )
    print(
        f"| … until every figure is drawn | {imported['models']} | {imported['seconds_until_figures']} | | "
        f"1,000 models ≈ {imported['seconds_for_1000_until_figures'] / 60:.0f} min | |"
    )
    if "validation" in result:
        validation = result["validation"]
        print(
            f"| re-validation (engine results reused by content) | {validation['models']} | "
            f"{validation['seconds']} | {validation['seconds'] / validation['models']:.2f} s | "
            f"{validation['models_per_minute']} models/min | "
            f"{validation['load_average'][0]}→{validation['load_average'][1]} |"
        )


if __name__ == "__main__":
    main()
