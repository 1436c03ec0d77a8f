"""`demos-validate`: exit codes, report formats, outputs, progress on stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from demos_registry.validation_engine.cli import main

REPO = Path(__file__).resolve().parents[2]
QUICK = ["--checks", "validate_schema,check_checksums,reference_points"]


@pytest.fixture(scope="module")
def good_model(models_dir):
    return models_dir / "pyhf" / "2-bin_1-channel.json"


@pytest.fixture(scope="module")
def metadata_file(tmp_path_factory, good_model, pyhf_reference_points):
    path = tmp_path_factory.mktemp("metadata") / "demos.json"
    path.write_text(json.dumps({"reference_points": pyhf_reference_points(good_model, [{"mu": 1.0}])}))
    return path


def test_passed_model_exits_0_and_prints_json(good_model, metadata_file, capsys):
    code = main([str(good_model), "--reference-points", str(metadata_file), "--format", "json", *QUICK])
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    assert report["status"] == "passed"
    assert "reference_points: passed" in captured.err


def test_failed_model_exits_1(models_dir, capsys):
    code = main([str(models_dir / "bad" / "model_duplicate_samples.json"), "--quiet", *QUICK])
    captured = capsys.readouterr()
    assert code == 1
    assert "# Model validation: **failed**" in captured.out
    assert captured.err == ""


def test_missing_file_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "absent.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_unreadable_metadata_exits_2(good_model, tmp_path, capsys):
    metadata = tmp_path / "broken.json"
    metadata.write_text("{")
    assert main([str(good_model), "--metadata", str(metadata)]) == 2


def test_unknown_check_exits_2(good_model, capsys):
    assert main([str(good_model), "--checks", "nonsense"]) == 2
    assert "unknown check or step" in capsys.readouterr().err


def test_needs_review_exits_0_unless_strict(good_model):
    assert main([str(good_model), "--quiet", *QUICK]) == 0
    assert main([str(good_model), "--quiet", "--strict", *QUICK]) == 1


def test_output_directory_gets_reports_plots_and_thumbnails(good_model, metadata_file, tmp_path):
    output = tmp_path / "out"
    code = main(
        [str(good_model), "--reference-points", str(metadata_file), "--output", str(output), "--quiet"]
    )
    assert code == 0
    names = {path.name for path in output.iterdir()}
    assert {"report.json", "report.md", "parameters.json", "parameters.md", "scan.json"} <= names
    for stem in ("yields_singlechannel", "scan"):
        assert {f"{stem}.png", f"{stem}.svg", f"{stem}.thumb.png"} <= names
        assert (output / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (output / f"{stem}.thumb.png").stat().st_size < (output / f"{stem}.png").stat().st_size
    report = json.loads((output / "report.json").read_text())
    assert report["status"] == "passed"
    assert len(report["plots"]) >= 9
    scan = json.loads((output / "scan.json").read_text())
    assert min(scan["delta_twice_nll"]) == pytest.approx(0.0, abs=0.5)


def test_ci_steps_select_their_checks(good_model, tmp_path):
    output = tmp_path / "steps"
    assert main([str(good_model), "--checks", "check_checksums", "--output", str(output), "--quiet"]) == 0
    report = json.loads((output / "report.json").read_text())
    assert [check["id"] for check in report["checks"]] == ["checksums"]


def test_directory_argument_validates_the_files_in_it(models_dir, capsys):
    code = main([str(models_dir / "pyhf"), "--format", "json", "--quiet", *QUICK])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {entry["path"] for entry in report["files"]} == {
        "2-bin_1-channel.json",
        "example_bkgonly.json",
        "example_patchset.json",
    }


def test_module_runs_as_a_program(good_model):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "demos_registry.validation_engine.cli",
            str(good_model),
            "--quiet",
            "--format",
            "json",
            *QUICK,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["status"] == "needs_review"


def test_reference_points_file_may_be_a_bare_list(good_model, pyhf_reference_points, tmp_path, capsys):
    points = tmp_path / "points.json"
    points.write_text(json.dumps(pyhf_reference_points(good_model, [{"mu": 0.5}])))
    assert (
        main([str(good_model), "--reference-points", str(points), "--quiet", "--format", "json", *QUICK]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert next(c for c in report["checks"] if c["id"] == "reference_points")["status"] == "passed"
