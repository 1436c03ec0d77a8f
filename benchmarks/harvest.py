"""OAI-PMH harvest benchmark: ListRecords of every record, following resumption tokens.

    python benchmarks/harvest.py --base https://127.0.0.1:5100 --prefixes oai_dc datacite

A harvester's whole pass over the registry (as Zenodo, HEPData or a library would run it),
against a server run the production way (benchmarks/serve.sh). For each metadata prefix it
times every page until the resumption token runs out and checks that the harvest is intact:
no identifier twice, and as many records as the REST API counts. Prints a Markdown table and
writes every figure to a JSON file.
"""

import argparse
import json
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import urllib3
from load import machine, new_session

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def harvest(session, base, prefix):
    """Every record of one metadata prefix: (identifiers, page latencies in s, bytes, errors)."""
    identifiers, latencies, size, errors = [], [], 0, []
    fields = {"verb": "ListRecords", "metadataPrefix": prefix}
    while True:
        started = time.monotonic()
        response = session.request("GET", f"{base}/oai2d", fields=fields, timeout=120)
        latencies.append(time.monotonic() - started)
        size += len(response.data)
        if response.status != 200:
            errors.append(f"HTTP {response.status} after {len(identifiers)} records")
            break
        root = ET.fromstring(response.data)
        error = root.find(f"{OAI}error")
        if error is not None:
            if error.get("code") != "noRecordsMatch":
                errors.append(f"{error.get('code')}: {error.text}")
            break
        listing = root.find(f"{OAI}ListRecords")
        identifiers += [node.text for node in listing.iter(f"{OAI}identifier") if node.text]
        token = listing.find(f"{OAI}resumptionToken")
        if token is None or not (token.text or "").strip():
            break
        fields = {"verb": "ListRecords", "resumptionToken": token.text.strip()}
        print(f"  {prefix}: {len(identifiers)} records", end="\r", file=sys.stderr)
    print(file=sys.stderr)
    return identifiers, latencies, size, errors


def published_count(session, base):
    """How many records the REST API lists to anyone (the harvest must hold as many)."""
    response = session.request("GET", f"{base}/api/records", fields={"size": 1}, timeout=120)
    return response.json()["hits"]["total"]


def main():
    """Harvest every prefix, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="https://127.0.0.1:5100")
    parser.add_argument("--prefixes", nargs="+", default=["oai_dc", "datacite"])
    parser.add_argument("--output", type=Path, default=Path("var/bench/harvest.json"))
    args = parser.parse_args()
    if not args.base.startswith(("https://127.", "http://127.", "https://localhost", "http://localhost")):
        sys.exit("loopback only: --base must be a 127.x or localhost URL")
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    session = new_session(False)
    expected = published_count(session, args.base)
    runs = []
    for prefix in args.prefixes:
        started = time.monotonic()
        identifiers, latencies, size, errors = harvest(session, args.base, prefix)
        runs.append(
            {
                "prefix": prefix,
                "seconds": round(time.monotonic() - started, 1),
                "records": len(identifiers),
                "distinct": len(set(identifiers)),
                "expected": expected,
                "pages": len(latencies),
                "page_p50_ms": round(1000 * statistics.median(latencies), 1),
                "page_max_ms": round(1000 * max(latencies), 1),
                "megabytes": round(size / 1e6, 1),
                "errors": errors,
            }
        )
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "runs": runs}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1))
    print(f"Machine: {result['machine']['summary']}; {result['date']}\n")
    print(
        "| prefix | records (distinct / REST API) | pages | page p50 ms | page max ms | MB | seconds | errors |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run['prefix']} | {run['records']} ({run['distinct']} / {run['expected']}) | {run['pages']} | "
            f"{run['page_p50_ms']} | {run['page_max_ms']} | {run['megabytes']} | {run['seconds']} | "
            f"{'; '.join(run['errors']) or 'none'} |"
        )
    if any(run["errors"] or run["distinct"] != run["records"] or run["records"] != expected for run in runs):
        sys.exit("the harvest is not intact (see the table)")


if __name__ == "__main__":
    main()
