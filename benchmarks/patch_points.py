"""Every signal point of the ATLAS sbottom archive (ins1748602): the registry's engine against bare pyhf.

Side by side in one run on this machine, on the same points:

- bare pyhf: a ``multiprocessing`` pool of N processes, each point patched, built, −2 ln L at
  the suggested init and ``hypotest`` at μ = 1 with the expected band (qtilde, asymptotics);
- the registry: the work of the Celery chunk tasks (``evaluate_patch_points``: one sandboxed
  worker per chunk of ``--chunk`` points, archive unpacked and matched by the engine), chunks
  shared by N processes as N Celery worker processes would; with 1 and with N processes for
  the speed-up.

It reports wall time per variant, the ratio registry / bare pyhf, the speed-up 1 → N, the
largest difference of observed CLs between the two, the number of flagged points and the
observed CLs of RegionA ``sbottom_1300_205_60``.

    .venv/bin/python benchmarks/patch_points.py                 # all 650 points (~1 h on 2 cores)
    .venv/bin/python benchmarks/patch_points.py --stride 10     # every 10th point (~6 min)
"""

import argparse
import json
import math
import multiprocessing
import os
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# One BLAS thread per process, as in the registry's sandbox: N processes on N cores, no oversubscription.
os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "site"))

from demos_registry.validation_engine.api import evaluate_patch_points, point_chunks  # noqa: E402
from demos_registry.validation_engine.checks.patch_points import signal_points  # noqa: E402
from demos_registry.validation_engine.context import Context  # noqa: E402
from demos_registry.validation_engine.inputs import load_submission  # noqa: E402
from demos_registry.validation_engine.limits import ResourceLimits  # noqa: E402
from demos_registry.validation_engine.metadata import parse_metadata  # noqa: E402

ARCHIVE = (
    REPO.parent
    / "shared"
    / "models"
    / "atlas-sbottom-ins1748602"
    / "pyhf-ins1748602-probability-models.tar.gz"
)
REPORTED_POINT = "patch.sbottom_1300_205_60.json"
METADATA = {"engine": "pyhf", "format": "pyhf-json", "model": {"file": "RegionA/BkgOnly.json"}}


def bare_pyhf_point(task):
    """One point as a physicist evaluates it with pyhf directly."""
    import jsonpatch
    import pyhf

    background, patch_path = task
    try:
        with open(background) as bkg, open(patch_path) as patch:
            workspace = pyhf.Workspace(jsonpatch.apply_patch(json.load(bkg), json.load(patch)))
        model = workspace.model()
        data = workspace.data(model)
        float(-2.0 * model.logpdf(model.config.suggested_init(), data)[0])
        observed, _band = pyhf.infer.hypotest(
            1.0, data, model, test_stat="qtilde", calctype="asymptotics", return_expected_set=True
        )
    except Exception as error:  # a physicist's loop notes the point and goes on, as the registry flags it
        return str(patch_path), math.nan, f"{type(error).__name__}: {error}"
    return str(patch_path), float(observed), None


def engine_chunk(task):
    """One Celery chunk task's work: the engine's sandboxed evaluation of a chunk of points."""
    archive, indices = task
    return evaluate_patch_points([archive], METADATA, indices, ResourceLimits()).rows


def point_names(archive):
    """Index → (region, patch file) in the engine's numbering."""
    limits = ResourceLimits()
    context = Context(load_submission([archive], limits), parse_metadata(METADATA), limits)
    names = {}
    for point in signal_points(context):
        region = point.candidate.base.name.split("/")[0].split("!")[-1]
        names[point.index] = (region, point.name)
    return names


def timed(function, tasks, processes):
    """Wall seconds and results of mapping function over tasks with a pool of processes."""
    started = time.perf_counter()
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(function, tasks))
    return time.perf_counter() - started, results


def main():
    """Run the variants and print a Markdown table (and JSON to var/bench/patch_points.json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stride", type=int, default=1, help="every n-th point (1: all 650)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--chunk", type=int, default=25, help="points per chunk (DEMOS_VALIDATION_POINTS_PER_CHUNK)"
    )
    args = parser.parse_args()

    names = point_names(str(ARCHIVE))
    indices = sorted(index for index in names if index % args.stride == 0)
    reported = next(
        (i for i, (region, name) in names.items() if region == "RegionA" and name == REPORTED_POINT), None
    )
    if reported is not None and reported not in indices:
        indices.append(reported)
    print(
        f"{len(indices)} of {len(names)} points, {args.processes} processes, chunks of {args.chunk}",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="demos-bench-points-") as folder:
        with tarfile.open(ARCHIVE) as archive:
            archive.extractall(folder, filter="data")
        bare_tasks = [
            (
                os.path.join(folder, names[i][0], "BkgOnly.json"),
                os.path.join(folder, names[i][0], names[i][1]),
            )
            for i in indices
        ]
        bare_seconds, bare = timed(bare_pyhf_point, bare_tasks, args.processes)
        print(f"bare pyhf, {args.processes} processes: {bare_seconds:.1f} s", flush=True)

    chunks = [  # as the registry splits them (validation_runs/patch_points.py)
        (str(ARCHIVE), [indices[k] for k in chunk]) for chunk in point_chunks(len(indices), args.chunk)
    ]
    registry_seconds, chunk_rows = timed(engine_chunk, chunks, args.processes)
    print(f"registry engine, {args.processes} processes: {registry_seconds:.1f} s", flush=True)
    single_seconds, _ = timed(engine_chunk, chunks, 1)
    print(f"registry engine, 1 process: {single_seconds:.1f} s", flush=True)

    rows = {row["index"]: row for chunk in chunk_rows for row in chunk}
    bare_cls = dict(zip(indices, (cls for _path, cls, _error in bare), strict=True))
    bare_failed = sorted(f"{path}: {error}" for path, _cls, error in bare if error)
    differences = [
        abs(rows[i]["cls_obs"] - bare_cls[i])
        for i in indices
        if rows[i]["cls_obs"] is not None and math.isfinite(bare_cls[i])
    ]
    flagged = sorted(
        f"{names[i][0]}/{names[i][1]}: {'; '.join(rows[i]['flags'])}" for i in indices if rows[i]["flags"]
    )
    result = {
        "points": len(indices),
        "processes": args.processes,
        "chunk": args.chunk,
        "bare_pyhf_seconds": round(bare_seconds, 1),
        "registry_seconds": round(registry_seconds, 1),
        "registry_one_process_seconds": round(single_seconds, 1),
        "ratio_registry_to_bare": round(registry_seconds / bare_seconds, 3),
        "speed_up_1_to_n": round(single_seconds / registry_seconds, 2),
        "max_abs_cls_difference": max(differences, default=None),
        "flagged": flagged,
        "bare_pyhf_failed": bare_failed,
        "regionA_sbottom_1300_205_60_cls_obs": rows[reported]["cls_obs"] if reported is not None else None,
    }
    print(
        "\n| points | bare pyhf (s) | registry (s) | ratio | registry 1 process (s) | speed-up | max ΔCLs | flagged |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {result['points']} | {result['bare_pyhf_seconds']} | {result['registry_seconds']} | "
        f"{result['ratio_registry_to_bare']} | {result['registry_one_process_seconds']} | "
        f"{result['speed_up_1_to_n']}× | {result['max_abs_cls_difference']:.1e} | {len(flagged)} |"
    )
    print(f"\nRegionA sbottom_1300_205_60 observed CLs: {result['regionA_sbottom_1300_205_60_cls_obs']}")
    for line in flagged:
        print(f"flagged: {line}")
    for line in bare_failed:
        print(f"bare pyhf failed: {line}")
    output = REPO / "var" / "bench" / "patch_points.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
