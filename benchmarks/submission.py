"""Submission benchmark: a model sent as two files, from POST to the worker's verdict.

    source var/bench/env.sh && python benchmarks/submission.py --repeat 3 [--small]

Against the benchmark instance of benchmarks/serve.sh (one Celery worker process).
Sends the ATLAS sbottom RegionA background-only workspace and one signal patch
(``patch.sbottom_1000_131_1.json``) as two ``file`` parts of ``POST /api/models``,
with a registry entry that leaves engine and format to be inferred, then polls
``GET /api/models/<id>/validation`` until the verdict, then until its report names its figures
(the ``plots`` check, drawn by a task of its own after the verdict). Reports the POST's own
time, the time from the POST to the verdict and to the figures. Each submission starts when the
previous one's figures are drawn, so the worker is idle, and sends bytes the registry has not
seen (unless ``--same-content``), so its content cache cannot answer in the engine's place.
"""

import argparse
import io
import json
import sys
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
import urllib3
from bulk_load import whitespace_nonce
from ingest import FINISHED, figures_drawn, invenio, validation_status
from load import load_average, machine

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = (
    ROOT.parent
    / "shared"
    / "models"
    / "atlas-sbottom-ins1748602"
    / "pyhf-ins1748602-probability-models.tar.gz"
)
MEMBERS = ("RegionA/BkgOnly.json", "RegionA/patch.sbottom_1000_131_1.json")
SMALL_MODEL = ROOT.parent / "shared" / "models" / "pyhf" / "2-bin_1-channel.json"


def two_files():
    """(name, bytes) of the workspace and its patch, as a physicist has them after unpacking HEPData's archive."""
    with tarfile.open(ARCHIVE) as archive:
        return [(Path(name).name, archive.extractfile(name).read()) for name in MEMBERS]


def small_model():
    """(name, bytes) of pyhf's two-bin, one-channel model: the small-model case."""
    return [(SMALL_MODEL.name, SMALL_MODEL.read_bytes())]


def never_seen(files):
    """The same files with a unique run of JSON whitespace at the end of each.

    The model is unchanged, but its bytes are new: the registry's content cache (which answers
    a re-submission of identical files without the engine) cannot answer, so the engine runs,
    as for a model submitted for the first time.
    """
    nonce = whitespace_nonce(str(time.time_ns()))
    return [(name, content + b"\n" + nonce + b"\n") for name, content in files]


def token():
    """A personal access token of the benchmark instance's administrator."""
    output = invenio(
        "tokens", "create", "-n", f"submission-bench-{time.time():.0f}", "-u", "admin@demos.local"
    )
    return output.strip().splitlines()[-1]


def submit_once(session, base, files, number):
    """Seconds of the POST, from the POST to the verdict and to its figures; the verdict."""
    entry = {
        "name": f"Submission benchmark {datetime.now(UTC):%Y%m%d%H%M%S} #{number}",
        "domain": "particle_physics",
        "collaboration": "ATLAS",
        "metadata": {"tags": ["benchmark-data"]},
    }
    started = time.monotonic()
    response = session.post(
        f"{base}/api/models",
        data={"metadata": json.dumps(entry)},
        files=[("file", (name, io.BytesIO(content), "application/json")) for name, content in files],
        timeout=300,
        verify=False,  # the benchmark instance's self-signed certificate (a session setting loses to the environment)
    )
    posted = time.monotonic() - started
    if response.status_code != 201:
        sys.exit(f"POST answered {response.status_code}: {response.text[:2000]}")
    record_id = response.json()["id"]

    def seconds_until(arrived, what):
        while not (value := arrived()):
            if time.monotonic() - started > 900:
                sys.exit(f"no {what} for {record_id} after 900 s: is the worker running?")
            time.sleep(0.2)
        return time.monotonic() - started, value

    def verdict_given():
        status = validation_status(session, base, record_id)
        return status if status in FINISHED else None

    verdict, status = seconds_until(verdict_given, "verdict")
    figures, _ = seconds_until(lambda: figures_drawn(session, base, record_id), "figures")
    return posted, verdict, figures, status


def main():
    """Submit ``--repeat`` times; a Markdown row per submission and a JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="https://127.0.0.1:5100")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--small",
        action="store_true",
        help="send pyhf's two-bin model (one small file) instead of the ATLAS pair",
    )
    parser.add_argument(
        "--same-content",
        action="store_true",
        help="send the same bytes every time (from the second on, the content cache answers)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench" / "submission.json")
    args = parser.parse_args()
    if not args.base.startswith(("https://127.", "http://127.", "https://localhost", "http://localhost")):
        sys.exit("loopback only: --base must be a 127.x or localhost URL")
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    session = requests.Session()
    session.verify = False
    session.headers["Authorization"] = f"Bearer {token()}"
    files = small_model() if args.small else two_files()
    rows = []
    for number in range(1, args.repeat + 1):
        load_before = load_average()
        sent = files if args.same_content else never_seen(files)
        posted, verdict, figures, status = submit_once(session, args.base, sent, number)
        rows.append(
            {
                "post_seconds": round(posted, 2),
                "verdict_seconds": round(verdict, 2),
                "figures_seconds": round(figures, 2),
                "status": status,
                "load_average": [load_before, load_average()],
            }
        )
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "files": [name for name, _ in files],
        "same_content": args.same_content,
        "submissions": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1))
    print(f"Machine: {result['machine']['summary']}; {result['date']}")
    print()
    print("| # | POST (s) | POST → verdict (s) | POST → figures (s) | verdict | load avg |")
    print("|---|---|---|---|---|---|")
    for number, row in enumerate(rows, 1):
        print(
            f"| {number} | {row['post_seconds']} | {row['verdict_seconds']} | {row['figures_seconds']} | "
            f"{row['status']} | "
            f"{row['load_average'][0]}→{row['load_average'][1]} |"
        )


if __name__ == "__main__":
    main()
