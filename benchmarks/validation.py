"""Benchmark: full sandboxed validation of the ATLAS sbottom likelihood vs bare pyhf evaluation.

Each measurement runs in a fresh interpreter, so both sides pay the same start-up and imports:

- round trip: a caller starting the sandboxed worker on a text file (start-up cost alone);
- bare: import pyhf, read BkgOnly.json and the signal patch, apply it, build the model and
  evaluate −2 ln L at the reference points;
- full: `demos_registry.validation_engine.validate()` on the same files with the same points (every
  check; the worker process, its limits and its imports included);
- archive: the same, on the published tar.gz (3 regions, 650 patches, all applied and checked);
- plots: the full validation plus the pre-fit yield plots and the profiled POI scan.

The scenarios run interleaved, so background load hits them alike; wall time is the median of
the repeats, peak memory the largest resident set of any process involved (for validation: the
caller or the sandboxed worker).

    python benchmarks/validation.py [--repeats 5] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = (
    REPO.parent
    / "shared"
    / "models"
    / "atlas-sbottom-ins1748602"
    / "pyhf-ins1748602-probability-models.tar.gz"
)
WORKSPACE = "RegionA/BkgOnly.json"
PATCH = "RegionA/patch.sbottom_1300_850_60.json"
POINTS = [{"mu_SIG": 1.0}, {"mu_SIG": 0.0}, {"mu_SIG": 2.0, "lumi": 1.01}]

BARE = """
import json, sys
import jsonpatch, pyhf
workspace_path, patch_path, points = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with open(workspace_path) as handle:
    workspace = json.load(handle)
with open(patch_path) as handle:
    patch = json.load(handle)
patched = pyhf.Workspace(jsonpatch.apply_patch(workspace, patch))
model = patched.model()
data = patched.data(model)
values = []
for point in points:
    pars = model.config.suggested_init()
    for name, value in point.items():
        pars[model.config.par_slice(name).start] = value
    values.append(float(-2 * model.logpdf(pars, data)[0]))
print(json.dumps({"values": values}))
"""

FULL = """
import json, resource, sys
from demos_registry.validation_engine import ValidationOptions, validate
paths, metadata, output, checks = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3] or None, sys.argv[4]
report = validate(paths, metadata, ValidationOptions(output_dir=output, checks=checks.split(",") if checks else None))
references = report.check("reference_points")
print(json.dumps({
    "status": report.status.value,
    "values": [p["measured"] for p in references.details["points"]] if references else None,
    "worker_peak_rss_bytes": report.timings["worker_peak_rss_bytes"],
    "checks": {c.id: round(c.duration_seconds, 3) for c in report.checks},
}))
"""


def run_measured(arguments: list[str]) -> tuple[float, int, dict]:
    """Wall seconds, peak RSS in bytes of the process itself, and its JSON output."""
    environment = dict(os.environ, PYTHONPATH=str(REPO / "site"))
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, *arguments], stdout=subprocess.PIPE, env=environment)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{arguments[:2]} failed")
    return wall, usage.ru_maxrss * 1024, json.loads(output)


def bare_pyhf(workspace: Path, patch: Path) -> tuple[float, int, dict]:
    return run_measured(["-c", BARE, str(workspace), str(patch), json.dumps(POINTS)])


def full_validation(
    paths: list[Path], metadata: dict, output: str = "", checks: str = ""
) -> tuple[float, int, dict]:
    wall, caller_rss, result = run_measured(
        ["-c", FULL, json.dumps([str(p) for p in paths]), json.dumps(metadata), output, checks]
    )
    return wall, max(caller_rss, result["worker_peak_rss_bytes"]), result


def summarise(runs: list[tuple[float, int, dict]]) -> tuple[float, int, dict]:
    """Median wall time, largest peak memory, and the last run's output."""
    return statistics.median(run[0] for run in runs), max(run[1] for run in runs), runs[-1][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--markdown", action="store_true", help="print the table for benchmarks/README.md")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        with tarfile.open(ARCHIVE) as archive:
            for member in (WORKSPACE, PATCH):
                (scratch / Path(member).name).write_bytes(archive.extractfile(member).read())
        workspace, patch = scratch / Path(WORKSPACE).name, scratch / Path(PATCH).name
        (scratch / "note.txt").write_text("not a model")
        expected = bare_pyhf(workspace, patch)[2]["values"]
        points = [{"parameters": p, "expected": v} for p, v in zip(POINTS, expected, strict=True)]
        model_metadata = {
            "model": {"workspace": workspace.name, "patch": patch.name},
            "reference_points": points,
        }
        archive_metadata = {"model": {"workspace": WORKSPACE, "patch": PATCH}, "reference_points": points}
        scenarios = {
            "bare pyhf (BkgOnly + 1 patch, 3 points)": lambda: bare_pyhf(workspace, patch),
            "sandbox round trip (one text file, no engine)": lambda: full_validation(
                [scratch / "note.txt"], {}, checks="check_checksums"
            ),
            "full validation, same two files": lambda: full_validation([workspace, patch], model_metadata),
            "full validation, published tar.gz (650 patches)": lambda: full_validation(
                [ARCHIVE], archive_metadata
            ),
            "full validation + plots (yields, profiled scan)": lambda: full_validation(
                [workspace, patch], model_metadata, str(scratch / "plots")
            ),
        }
        runs: dict[str, list[tuple[float, int, dict]]] = {label: [] for label in scenarios}
        for _ in range(arguments.repeats):
            for label, measure in scenarios.items():
                runs[label].append(measure())
        rows = []
        for label, measured in runs.items():
            wall, rss, result = summarise(measured)
            if "status" in result and (
                result["status"] != "passed" or result["values"] not in (None, expected)
            ):
                raise RuntimeError(f"{label}: {result}")
            rows.append((label, wall, rss, json.dumps(result.get("checks", {}))))
    budget = 2 * rows[0][1] + 1.0
    print_table(rows, budget, arguments.repeats, arguments.markdown)


def print_table(rows: list[tuple[str, float, int, str]], budget: float, repeats: int, markdown: bool) -> None:
    if markdown:
        print(
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f} at the end; median of {repeats} runs; "
            f"budget 2 × bare + 1 s = {budget:.2f} s\n"
        )
        print("| run | wall (s) | peak RSS (MiB) | within budget |")
        print("|---|---|---|---|")
        for label, wall, rss, _ in rows:
            if label.startswith("bare"):
                within = ""
            elif "plots" in label:
                within = "n/a: pre-processing, not part of the target"
            else:
                within = "yes" if wall <= budget else "no"
            print(f"| {label} | {wall:.2f} | {rss / 2**20:.0f} | {within} |")
        return
    for label, wall, rss, checks in rows:
        print(f"{label:50s} {wall:7.2f} s {rss / 2**20:7.0f} MiB {checks}")
    print(f"budget (2 x bare + 1 s): {budget:.2f} s")


if __name__ == "__main__":
    main()
