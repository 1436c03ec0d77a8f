"""Every public model in shared/models: good ones pass, each bad one fails the right check."""

import json

import pytest
from validation_helpers import HS3_OBSERVED, sha256_of, simple_correlated, simple_uncorrelated, twice_nll

from demos_registry.validation_engine import CheckStatus, OverallStatus, validate


def statuses(report):
    return {check.id: check.status for check in report.checks}


def test_pyhf_workspace_with_reference_points_and_checksum_passes(models_dir, pyhf_reference_points):
    path = models_dir / "pyhf" / "2-bin_1-channel.json"
    metadata = {
        "checksums": {path.name: sha256_of(path)},
        "reference_points": pyhf_reference_points(
            path, [{"mu": 1.0}, {"mu": 0.0, "uncorr_bkguncrt": [1.1, 0.9]}]
        ),
    }
    report = validate([str(path)], metadata)
    assert report.status == OverallStatus.PASSED, report.to_markdown()
    assert statuses(report)["reference_points"] == CheckStatus.PASSED
    facts = report.facts[0]
    assert facts["format"] == "pyhf-workspace"
    assert (facts["n_channels"], facts["n_bins"], facts["pois"]) == (1, 2, ["mu"])
    assert {p["name"] for p in facts["parameters"]} == {"mu", "uncorr_bkguncrt[0]", "uncorr_bkguncrt[1]"}
    assert report.engines["pyhf"] == "0.7.6"
    cross = report.check("cross_engine")
    assert cross.status == CheckStatus.PASSED
    assert set(cross.details["engines"]) == {"pyhf", "pyhs3"} and cross.details["pyhs3_reads_a_translation"]


def test_background_workspace_with_patchset_passes(models_dir, pyhf_reference_points):
    workspace = models_dir / "pyhf" / "example_bkgonly.json"
    patchset = models_dir / "pyhf" / "example_patchset.json"
    metadata = {
        "checksums": {workspace.name: sha256_of(workspace), patchset.name: sha256_of(patchset)},
        "model": {"workspace": workspace.name},
        "reference_points": pyhf_reference_points(
            workspace, [{"SigXsecOverSM": 1.0}, {"SigXsecOverSM": 0.3}]
        ),
    }
    report = validate([str(workspace), str(patchset)], metadata)
    assert report.status == OverallStatus.PASSED, report.to_markdown()
    patches = report.check("patches")
    assert patches.status == CheckStatus.PASSED
    assert patches.details["digests"] == {patchset.name: f"matches {workspace.name}"}


BAD_FILES = [
    ("model_duplicate_channels.json", "schema", "channel name 'singlechannel' appears 2 times"),
    ("model_duplicate_samples.json", "schema", "sample 'signal' appears 2 times"),
    ("model_duplicate_modifiers.json", "schema", "normfactor modifier 'mu' appears 2 times"),
    ("patchset_bad_invalid_digests.json", "schema", "$.metadata.digests"),
    ("poiless.json", "schema", "has no parameter of interest"),
]


@pytest.mark.parametrize(("name", "check_id", "reason"), BAD_FILES)
def test_bad_file_fails_the_right_check(models_dir, name, check_id, reason):
    """Alone, none of them is an evaluable model either, which integrity reports besides."""
    report = validate([str(models_dir / "bad" / name)])
    assert report.status == OverallStatus.FAILED
    failed = {check.id: check.reason for check in report.checks if check.status == CheckStatus.FAILED}
    assert set(failed) <= {check_id, "integrity"}, report.to_markdown()
    assert reason in failed[check_id]


def test_histosys_patch_of_the_wrong_shape_fails_against_its_workspace(models_dir):
    patch = models_dir / "bad" / "bad_histosys_modifier_patch.json"
    report = validate([str(models_dir / "pyhf" / "2-bin_1-channel.json"), str(patch)])
    assert report.status == OverallStatus.FAILED
    assert report.check("patches").status == CheckStatus.FAILED
    assert "histosys 'histosys_bad' hi_data has 3 bins, the sample 2" in report.check("patches").reason


def test_patch_without_workspace_fails(models_dir):
    report = validate([str(models_dir / "bad" / "bad_histosys_modifier_patch.json")])
    assert report.status == OverallStatus.FAILED
    assert "no evaluable model" in report.check("integrity").reason
    assert "without a workspace" in report.check("patches").reason


def uncorrelated_twin_parameters(hs3_values):
    """HS3 values of the uncorrelated file as parameters of its pyhf twin (`Lumi` is a constant 1)."""
    assert hs3_values.get("Lumi", 1.0) == 1.0
    gammas = [hs3_values["uncorr_bkguncrt_0"], hs3_values["uncorr_bkguncrt_1"]]
    return {"mu": hs3_values["mu"], "uncorr_bkguncrt": gammas}


def correlated_twin_parameters(hs3_values):
    """HS3 values of the correlated files as parameters of their pyhf twin (`Lumi` is a constant 1)."""
    assert hs3_values.get("Lumi", 1.0) == 1.0
    return {
        "mu": hs3_values["mu"],
        "correlated_bkg_uncertainty": hs3_values["alpha_correlated_bkg_uncertainty"],
    }


PYHF_TWINS = {
    "uncorrelated": (simple_uncorrelated(), uncorrelated_twin_parameters),
    "correlated": (simple_correlated(), correlated_twin_parameters),
}
"""The pyhf simple models the HS3 files were exported from (models/README.md), evaluated with bare pyhf."""


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["simplemodel_uncorrelated-background_hs3.json", "simplemodel_correlated-background_gauss_hs3.json"],
)
def test_hs3_files_reproduce_their_pyhf_twins_in_pyhs3_and_pyhf(models_dir, hs3_reference_points, name):
    path = models_dir / "hs3" / name
    points = hs3_reference_points["uncorrelated" if "uncorrelated" in name else "correlated"]
    metadata = {"checksums": {name: sha256_of(path)}, "reference_points": points}
    report = validate([str(path)], metadata)
    references = report.check("reference_points")
    assert references.status == CheckStatus.PASSED, report.to_markdown()
    assert references.details["engine"].startswith("pyhs3")
    for point in references.details["points"]:
        assert abs(point["measured"] - point["expected"]) < 1e-9
    cross = report.check("cross_engine")
    assert set(cross.details["engines"]) == {"pyhs3", "pyhf", "root"}
    twin, twin_parameters = PYHF_TWINS["uncorrelated" if "uncorrelated" in name else "correlated"]
    data = HS3_OBSERVED + twin.config.auxdata
    start = twice_nll(twin, data, twin_parameters(cross.details["start"]))
    assert cross.details["points"]
    for row in cross.details["points"]:
        expected = twice_nll(twin, data, twin_parameters(row["parameters"])) - start
        deltas = row["delta_twice_nll"]
        assert deltas["pyhs3"] == pytest.approx(expected, abs=1e-9), row["label"]
        assert deltas["pyhf"] == pytest.approx(expected, abs=1e-9), row["label"]
    assert report.check("schema").status == CheckStatus.PASSED
    assert report.facts[0]["pois"] == ["mu"]


@pytest.mark.slow
def test_gauss_hs3_file_passes_all_three_engines(models_dir, hs3_reference_points):
    path = models_dir / "hs3" / "simplemodel_correlated-background_gauss_hs3.json"
    report = validate(
        [str(path)],
        {"checksums": {path.name: sha256_of(path)}, "reference_points": hs3_reference_points["correlated"]},
    )
    assert report.status == OverallStatus.PASSED, report.to_markdown()
    assert report.check("cross_engine").status == CheckStatus.PASSED


@pytest.mark.slow
def test_root_reading_of_shapesys_differs_and_is_reported_not_hidden(models_dir, hs3_reference_points):
    """ROOT 6.40 reads HS3 shapesys `vals` as relative uncertainties, pyhf/pyhs3 as absolute."""
    path = models_dir / "hs3" / "simplemodel_uncorrelated-background_hs3.json"
    report = validate([str(path)], {"reference_points": hs3_reference_points["uncorrelated"]})
    cross = report.check("cross_engine")
    assert cross.status == CheckStatus.WARNING
    assert "root −2Δ ln L =" in cross.reason
    assert cross.details["disagreements"]
    assert report.status == OverallStatus.NEEDS_REVIEW


@pytest.mark.slow
def test_original_correlated_hs3_export_gets_a_reasoned_result(models_dir, hs3_reference_points):
    path = models_dir / "hs3" / "simplemodel_correlated-background_hs3.json"
    report = validate([str(path)], {"reference_points": hs3_reference_points["correlated"]})
    assert report.error is None
    assert report.status == OverallStatus.NEEDS_REVIEW
    schema = report.check("schema")
    assert schema.status == CheckStatus.WARNING
    assert schema.details["warnings"][0]["path"] == "$.distributions[0].samples[1].modifiers[1].constraint"
    assert "pyhs3 0.4.2" in schema.reason
    references = report.check("reference_points")
    assert references.status == CheckStatus.PASSED
    assert references.details["engine"].startswith("pyhf")
    cross = report.check("cross_engine")
    assert cross.status == CheckStatus.PASSED
    assert "pyhs3" in cross.details["unavailable"]
    assert set(cross.details["engines"]) == {"pyhf", "root"}


def test_atlas_sbottom_archive_validates(atlas_archive, atlas_metadata):
    report = validate([str(atlas_archive)], atlas_metadata)
    assert report.status == OverallStatus.PASSED, report.to_markdown()
    checks = statuses(report)
    assert checks["checksums"] == checks["reference_points"] == checks["patches"] == CheckStatus.PASSED
    patches = report.check("patches")
    assert patches.details["patches"] >= 600 and not patches.details["failures"]
    cross = report.check("cross_engine")
    assert cross.status == CheckStatus.SKIPPED and "936 modifiers (limit 100)" in cross.reason
    selected = next(facts for facts in report.facts if "+" in facts["model"])
    assert selected["pois"] == ["mu_SIG"]
    assert selected["n_parameters"] > 50
    json.dumps(report.to_dict(), allow_nan=False)


def test_root_file_is_recognised_and_reported_unsupported(tmp_path):
    path = tmp_path / "model.root"
    path.write_bytes(b"root\x00\x00\xf4\x1e" + bytes(200))
    report = validate([str(path)])
    integrity = report.check("integrity")
    assert integrity.status == CheckStatus.WARNING
    assert "ROOT file" in integrity.reason and "not evaluated" in integrity.reason
    assert report.files[0]["format"] == "root"
    assert report.status == OverallStatus.NEEDS_REVIEW


def test_archive_with_workspace_and_patchset_inside(models_dir, tmp_path):
    import tarfile

    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(models_dir / "pyhf" / "example_bkgonly.json", arcname="analysis/BkgOnly.json")
        bundle.add(models_dir / "pyhf" / "example_patchset.json", arcname="analysis/patchset.json")
    report = validate(
        [str(archive)],
        {"model": {"workspace": "analysis/BkgOnly.json", "patch": "patch_channel1_signal_syst1"}},
    )
    patches = report.check("patches")
    assert patches.status == CheckStatus.PASSED
    assert patches.details["digests"] == {
        "model.tar.gz!analysis/patchset.json": "matches model.tar.gz!analysis/BkgOnly.json"
    }
    assert report.check("stability").details["model"].endswith("#patch_channel1_signal_syst1")
