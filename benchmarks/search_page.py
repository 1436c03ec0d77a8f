"""Search page benchmark: how long until a visitor sees results on /search, in Chromium.

    python benchmarks/search_page.py --base https://127.0.0.1:5100 --loads 10

Against a server run the production way with its web assets (``DEMOS_BENCH_ASSETS=1
benchmarks/serve.sh``). Headless Debian Chromium (Playwright) opens the search page in a
new browser context each time (no cache, as a first visit) with a query, a facet or
nothing, and the clock stops when the first result item is visible: the page, its
scripts, the React app's call to /api/records and its rendering all count. Prints a
Markdown table and writes every figure to a JSON file.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from load import machine
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("DEMOS_TEST_CHROMIUM", "/usr/bin/chromium")
SEARCHES = {
    "all models": "/search",
    "full text": "/search?q=signal",
    "facet": "/search?q=&f=domain:neutrino",
}
FIRST_RESULT = ".demos-result-labels"  # the DEMOS badges of a result item (DemosResultDescription.js)


def time_loads(browser, base, path, loads):
    """Seconds from navigation to the first visible result, for ``loads`` first visits."""
    seconds = []
    for _ in range(loads):
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        started = time.monotonic()
        page.goto(base + path, wait_until="commit")
        page.locator(FIRST_RESULT).first.wait_for(state="visible", timeout=60_000)
        seconds.append(time.monotonic() - started)
        context.close()
    return seconds


def main():
    """Time every search, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="https://127.0.0.1:5100")
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--output", type=Path, default=Path("var/bench/search_page.json"))
    args = parser.parse_args()
    if not args.base.startswith(("https://127.", "http://127.", "https://localhost", "http://localhost")):
        sys.exit("loopback only: --base must be a 127.x or localhost URL")
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        time_loads(browser, args.base.rstrip("/"), SEARCHES["all models"], 2)  # warm the server
        for name, path in SEARCHES.items():
            seconds = time_loads(browser, args.base.rstrip("/"), path, args.loads)
            rows.append(
                {
                    "search": name,
                    "path": path,
                    "loads": len(seconds),
                    "p50_ms": round(1000 * statistics.median(seconds), 1),
                    "max_ms": round(1000 * max(seconds), 1),
                }
            )
        browser.close()
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "rows": rows}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1))
    print(f"Machine: {result['machine']['summary']}; {result['date']}\n")
    print("| search page | loads | results visible p50 ms | max ms |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['search']} (`{row['path']}`) | {row['loads']} | {row['p50_ms']} | {row['max_ms']} |")


if __name__ == "__main__":
    main()
