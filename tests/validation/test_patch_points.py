"""Every signal point of a patchset evaluated: values as bare pyhf gives them, degenerate points flagged.

A small grid of signal hypotheses on a simple background-only workspace, one of them with zero
signal (CLb → 0 at μ = 1: observed CLs is nan in pyhf), as a patchset with labels/values, as loose
patch files named by a pattern, and evaluated in chunks that must merge to the same result.
"""

import csv
import json
import tarfile

import pytest
from signal_grid import (
    DEGENERATE,
    SIGNAL_GRID,
    background_only_workspace,
    bare_pyhf,
    patchset_for,
    point_name,
    signal_patch,
)

from demos_registry.validation_engine import ValidationOptions, validate
from demos_registry.validation_engine.api import (
    deferred_patch_points,
    evaluate_patch_points,
    merge_patch_points,
    point_chunks,
)
from demos_registry.validation_engine.limits import MIB, ResourceLimits
from demos_registry.validation_engine.point_results import merge_point_rows


@pytest.fixture(scope="module")
def grid_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    workspace = background_only_workspace()
    (folder / "BkgOnly.json").write_text(json.dumps(workspace))
    (folder / "patchset.json").write_text(json.dumps(patchset_for(workspace)))
    return workspace, [str(folder / "BkgOnly.json"), str(folder / "patchset.json")]


@pytest.fixture(scope="module")
def published(grid_files):
    """Bare pyhf's numbers for every point, and the metadata declaring two of them as published."""
    workspace, _paths = grid_files
    numbers = {masses: bare_pyhf(workspace, signal) for masses, signal in SIGNAL_GRID.items()}
    _nll, cls_obs, cls_exp = numbers[(100, 10)]
    metadata = {
        "model": {"workspace": "BkgOnly.json"},
        "expected_outputs": {
            "per_patch": {point_name(100, 10): {"cls_obs": cls_obs, "cls_exp": cls_exp}},
            "rtol": 1e-6,
            "atol": 1e-9,
        },
    }
    return numbers, metadata


@pytest.fixture(scope="module")
def inline_run(grid_files, published, tmp_path_factory):
    """The whole patchset in one run, tables and figures written."""
    _workspace, paths = grid_files
    output = tmp_path_factory.mktemp("outputs")
    report = validate(paths, published[1], ValidationOptions(output_dir=str(output)))
    return report, output


def rows_by_name(check):
    return {row["name"]: row for row in check.details["rows"]}


def test_every_point_matches_bare_pyhf_and_the_degenerate_one_is_flagged(inline_run, published):
    report, _output = inline_run
    numbers, _metadata = published
    check = report.check("patch_points")
    assert check is not None, report.to_markdown()
    assert check.status == "warning", check.reason
    assert check.details["points"] == len(SIGNAL_GRID)
    assert check.details["flagged"] == 1 and check.details["mismatched"] == 0
    assert "1 of 6 signal point(s) flagged" in check.reason
    rows = rows_by_name(check)
    for masses, (twice_nll, cls_obs, cls_exp) in numbers.items():
        row = rows[point_name(*masses)]
        assert row["coordinates"] == {"m1": masses[0], "m2": masses[1]}
        assert row["workspace"] == "BkgOnly.json"
        assert row["twice_nll_init"] == pytest.approx(twice_nll, rel=1e-12)
        if masses == DEGENERATE:
            continue
        assert row["status"] == "ok", row
        assert row["cls_obs"] == pytest.approx(cls_obs, rel=1e-9, abs=1e-12)
        assert row["cls_exp"] == pytest.approx(cls_exp, rel=1e-9, abs=1e-12)
    degenerate = rows[point_name(*DEGENERATE)]
    assert numbers[DEGENERATE][1] != numbers[DEGENERATE][1], "bare pyhf gives nan here too"
    assert degenerate["status"] == "flagged" and degenerate["cls_obs"] is None
    assert "observed CLs is nan" in degenerate["flags"][0]
    assert check.details["problems"][0]["name"] == point_name(*DEGENERATE)
    published_point = rows[point_name(100, 10)]
    assert all(entry["passed"] for entry in published_point["comparisons"])
    assert len(published_point["comparisons"]) == 6
    assert report.status == "needs_review"


def test_the_points_are_a_table_and_a_figure_next_to_the_plots(inline_run):
    report, output = inline_run
    table = json.loads((output / "patch_points.json").read_text())
    assert [row["index"] for row in table] == list(range(len(SIGNAL_GRID)))
    with open(output / "patch_points.csv", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == len(SIGNAL_GRID)
    assert {"m1", "m2", "cls_obs", "cls_exp_median", "status", "flags"} <= set(lines[0])
    degenerate = next(line for line in lines if line["patch"] == point_name(*DEGENERATE))
    assert degenerate["cls_obs"] == "" and degenerate["status"] == "flagged"
    figure = output / "patch_points_cls_BkgOnly.json.png"
    for path in (figure, figure.with_suffix(".svg"), output / "patch_points_cls_BkgOnly.json.thumb.png"):
        assert path.stat().st_size > 1000, path
        assert str(path) in report.plots
    assert "## Signal points" in report.to_markdown()


def test_chunks_merge_to_the_unchunked_result_whatever_the_chunking(grid_files, published, inline_run):
    _workspace, paths = grid_files
    metadata = published[1]
    deferred = validate(
        paths, metadata, ValidationOptions(checks=["validate_schema", "patch_points"], inline_patch_points=0)
    )
    assert deferred_patch_points(deferred.to_dict()) == len(SIGNAL_GRID)
    assert deferred.check("patch_points").status == "skipped"
    chunks = [evaluate_patch_points(paths, metadata, indices) for indices in ([4, 0, 2], [1, 3, 5])]
    assert all(chunk.failure is None for chunk in chunks)
    merged, written = merge_patch_points(deferred.to_dict(), [chunk.rows for chunk in chunks])
    assert written == []
    unchunked = inline_run[0].check("patch_points").to_dict()
    result = next(check for check in merged["checks"] if check["id"] == "patch_points")
    assert result["details"] == json.loads(json.dumps(unchunked["details"]))
    assert (result["status"], result["reason"]) == (unchunked["status"], unchunked["reason"])
    assert merged["status"] == "needs_review"

    rows = [row for chunk in chunks for row in chunk.rows]
    other_chunkings = [[rows], [rows[::-1]], [[row] for row in rows], [rows[:2], rows, rows[3:]]]
    for chunking in other_chunkings:
        assert merge_point_rows(chunking, len(SIGNAL_GRID)).to_dict() == merge_point_rows([rows], 6).to_dict()


@pytest.mark.parametrize(
    ("total", "size", "expected"),
    [
        (7, 3, [[0, 3, 6], [1, 4], [2, 5]]),
        (6, 2, [[0, 3], [1, 4], [2, 5]]),
        (2, 25, [[0, 1]]),
        (0, 25, []),
    ],
)
def test_chunks_interleave_the_points(total, size, expected):
    assert point_chunks(total, size) == expected


def test_chunks_of_a_real_patchset_hold_the_same_mix_of_regions():
    """ATLAS ins1748602: 650 points, RegionA, B and C in index order; every chunk of 25 reaches into all three."""
    chunks = point_chunks(650, 25)
    assert len(chunks) == 26 and sorted(i for chunk in chunks for i in chunk) == list(range(650))
    assert all(len(chunk) == 25 and min(chunk) < 26 and max(chunk) >= 624 for chunk in chunks)


def test_a_chunk_whose_sandbox_dies_flags_its_points(grid_files, published):
    _workspace, paths = grid_files
    starved = ResourceLimits(memory_bytes=64 * MIB)
    chunk = evaluate_patch_points(paths, published[1], [0, 1], starved)
    assert chunk.failure is not None
    assert [row["index"] for row in chunk.rows] == [0, 1]
    assert all(row["status"] == "flagged" and "sandboxed worker" in row["flags"][0] for row in chunk.rows)
    retried = [row for row in chunk.rows]
    result = merge_point_rows([retried, evaluate_patch_points(paths, published[1], [0, 1]).rows], 2)
    assert result.status == "passed", "rows of the retry replace those of the sandbox that died"


def test_loose_patch_files_in_an_archive_take_their_coordinates_from_a_pattern(tmp_path, published):
    workspace = background_only_workspace()
    archive = tmp_path / "likelihoods.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        members = {"RegionA/BkgOnly.json": workspace}
        for masses in [(100, 10), DEGENERATE, (200, 20)]:
            members[f"RegionA/patch.{point_name(*masses)}.json"] = signal_patch(SIGNAL_GRID[masses])
        for name, document in members.items():
            path = tmp_path / name.replace("/", "_")
            path.write_text(json.dumps(document))
            bundle.add(path, arcname=name)
    metadata = {
        "patch_points": {"pattern": "patch.signal_{m1}_{m2}.json"},
        "expected_outputs": {"per_patch": {point_name(200, 20): {"cls_obs": 0.5}}},
    }
    report = validate([str(archive)], metadata, ValidationOptions(checks=["validate_schema", "patch_points"]))
    check = report.check("patch_points")
    assert check.status == "failed", check.reason
    assert "1 of 3 signal point(s) differ from their published results and 1 are flagged" in check.reason
    rows = {row["name"]: row for row in check.details["rows"]}
    assert rows["patch.signal_100_10.json"]["coordinates"] == {"m1": 100, "m2": 10}
    assert rows["patch.signal_100_10.json"]["workspace"].endswith("RegionA/BkgOnly.json")
    assert rows["patch.signal_100_10.json"]["cls_obs"] == pytest.approx(published[0][(100, 10)][1], rel=1e-9)
    off = rows["patch.signal_200_20.json"]
    assert off["status"] == "mismatch" and "cls_obs" in off["flags"][0]
    assert rows["patch.signal_300_10.json"]["status"] == "flagged"


def test_more_points_than_a_run_takes_are_left_to_chunks(grid_files):
    _workspace, paths = grid_files
    report = validate(paths, None, ValidationOptions(checks=["patch_points"], inline_patch_points=5))
    check = report.check("patch_points")
    assert check.status == "skipped" and check.details == {"points": 6, "deferred": True}
    assert "6 signal points, more than the 5 evaluated in one run" in check.reason
