"""Checksums and reference values: tampering and shifted values are caught, rounding is not."""

import copy

import pytest

from demos_registry.validation_engine import CheckStatus, OverallStatus, ValidationOptions, validate

WITHOUT_CROSS_ENGINE = ValidationOptions(
    checks=["validate_schema", "check_checksums", "reference_points", "expected_outputs", "stability"]
)


@pytest.fixture(scope="module")
def workspace(models_dir):
    return models_dir / "pyhf" / "2-bin_1-channel.json"


@pytest.fixture(scope="module")
def metadata(workspace, pyhf_reference_points):
    from validation_helpers import sha256_of

    return {
        "checksums": {workspace.name: sha256_of(workspace)},
        "reference_points": pyhf_reference_points(workspace, [{"mu": 1.0}, {"mu": 2.5}]),
    }


def shifted(metadata, relative):
    changed = copy.deepcopy(metadata)
    changed["reference_points"][1]["expected"] *= 1 + relative
    return changed


def test_tampered_checksum_fails(workspace, metadata):
    tampered = copy.deepcopy(metadata)
    digest = tampered["checksums"][workspace.name]
    tampered["checksums"][workspace.name] = ("0" if digest[0] != "0" else "1") + digest[1:]
    report = validate([str(workspace)], tampered, WITHOUT_CROSS_ENGINE)
    check = report.check("checksums")
    assert check.status == CheckStatus.FAILED
    assert "differs from the declared" in check.reason
    assert report.status == OverallStatus.FAILED


def test_tampered_file_fails_its_checksum(tmp_path, workspace, metadata):
    copy_path = tmp_path / workspace.name
    copy_path.write_bytes(workspace.read_bytes() + b" ")
    report = validate([str(copy_path)], metadata, WITHOUT_CROSS_ENGINE)
    assert report.check("checksums").status == CheckStatus.FAILED


def test_reference_value_off_by_1e_minus_3_fails(workspace, metadata):
    report = validate([str(workspace)], shifted(metadata, 1e-3), WITHOUT_CROSS_ENGINE)
    check = report.check("reference_points")
    assert check.status == CheckStatus.FAILED
    assert "point 1" in check.reason
    failed = [point for point in check.details["points"] if not point["passed"]]
    assert len(failed) == 1
    assert failed[0]["relative_difference"] == pytest.approx(-1e-3 / (1 + 1e-3), rel=1e-6)
    assert report.status == OverallStatus.FAILED


def test_reference_value_off_by_1e_minus_7_passes(workspace, metadata):
    report = validate([str(workspace)], shifted(metadata, 1e-7), WITHOUT_CROSS_ENGINE)
    assert report.check("reference_points").status == CheckStatus.PASSED
    assert report.status == OverallStatus.PASSED


def test_per_point_tolerance_is_honoured(workspace, metadata):
    loose = shifted(metadata, 1e-3)
    loose["reference_points"][1]["rtol"] = 1e-2
    report = validate([str(workspace)], loose, WITHOUT_CROSS_ENGINE)
    assert report.check("reference_points").status == CheckStatus.PASSED


def test_unknown_parameter_in_a_reference_point_fails_with_its_name(workspace):
    report = validate(
        [str(workspace)],
        {"reference_points": [{"parameters": {"nope": 1.0}, "expected": 1.0}]},
        WITHOUT_CROSS_ENGINE,
    )
    check = report.check("reference_points")
    assert check.status == CheckStatus.FAILED
    assert "unknown parameter 'nope'" in check.reason


def test_expected_outputs_are_compared(workspace):
    import json

    import pyhf

    spec = json.loads(workspace.read_text())
    pyhf_workspace = pyhf.Workspace(spec)
    model = pyhf_workspace.model()
    data = pyhf_workspace.data(model)
    best, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    observed_limit, _expected = pyhf.infer.intervals.upper_limits.upper_limit(
        data, model, scan=None, level=0.05
    )
    outputs = {
        "best_fit": {"mu": float(best[model.config.poi_index])},
        "twice_nll_at_best_fit": float(twice_nll),
        "upper_limit": float(observed_limit),
    }
    report = validate([str(workspace)], {"expected_outputs": outputs}, WITHOUT_CROSS_ENGINE)
    assert report.check("expected_outputs").status == CheckStatus.PASSED
    wrong = {"best_fit": {"mu": float(best[model.config.poi_index]) + 0.5}}
    report = validate([str(workspace)], {"expected_outputs": wrong}, WITHOUT_CROSS_ENGINE)
    assert report.check("expected_outputs").status == CheckStatus.FAILED
    assert "best_fit.mu" in report.check("expected_outputs").reason


def test_malformed_metadata_is_a_failed_check_not_a_crash(workspace):
    report = validate(
        [str(workspace)], {"reference_points": [{"parameters": {"mu": 1.0}}]}, WITHOUT_CROSS_ENGINE
    )
    assert report.check("metadata").status == CheckStatus.FAILED
    assert "reference_points[0]" in report.check("metadata").reason


def test_declared_format_must_match_the_files(workspace):
    report = validate([str(workspace)], {"format": "hs3"}, WITHOUT_CROSS_ENGINE)
    assert report.check("integrity").status == CheckStatus.FAILED
    assert "metadata declares format 'hs3'" in report.check("integrity").reason
