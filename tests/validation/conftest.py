"""Fixtures of the validation-engine tests: the shared public models and their pyhf twins.

These tests need no Invenio application: the engine is a plain library. Reference values are
computed here with pyhf directly, independently of the sandboxed worker under test.
"""

import json
import tarfile
from pathlib import Path

import pyhf
import pytest
from validation_helpers import HS3_OBSERVED, sha256_of, simple_correlated, simple_uncorrelated, twice_nll

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO.parent / "shared" / "models"
ATLAS_ARCHIVE = MODELS / "atlas-sbottom-ins1748602" / "pyhf-ins1748602-probability-models.tar.gz"
ATLAS_WORKSPACE = "RegionA/BkgOnly.json"
ATLAS_PATCH = "RegionA/patch.sbottom_1300_850_60.json"


@pytest.fixture(scope="session")
def models_dir():
    assert MODELS.is_dir(), f"{MODELS} is missing: shared/ must sit beside the repository"
    return MODELS


@pytest.fixture(scope="session")
def atlas_archive(models_dir):
    return ATLAS_ARCHIVE


@pytest.fixture(scope="session")
def atlas_model(atlas_archive):
    """The RegionA background-only workspace with one signal patch applied, built with bare pyhf."""
    import jsonpatch

    with tarfile.open(atlas_archive) as archive:
        workspace = json.load(archive.extractfile(ATLAS_WORKSPACE))
        patch = json.load(archive.extractfile(ATLAS_PATCH))
    patched = pyhf.Workspace(jsonpatch.apply_patch(workspace, patch))
    model = patched.model()
    return model, patched.data(model)


@pytest.fixture(scope="session")
def atlas_metadata(atlas_archive, atlas_model):
    model, data = atlas_model
    points = [{"mu_SIG": 1.0}, {"mu_SIG": 0.0}, {"mu_SIG": 2.0, "lumi": 1.01}]
    return {
        "format": "pyhf",
        "checksums": {atlas_archive.name: sha256_of(atlas_archive)},
        "model": {"workspace": ATLAS_WORKSPACE, "patch": ATLAS_PATCH},
        "reference_points": [
            {"parameters": point, "expected": twice_nll(model, data, point)} for point in points
        ],
    }


@pytest.fixture(scope="session")
def hs3_reference_points():
    """Reference −2 ln L for the HS3 files, from their pyhf twins (HS3 parameter names)."""
    uncorrelated = simple_uncorrelated()
    correlated = simple_correlated()
    uncorrelated_data = HS3_OBSERVED + uncorrelated.config.auxdata
    correlated_data = HS3_OBSERVED + correlated.config.auxdata
    return {
        "uncorrelated": [
            {
                "parameters": {"mu": mu, "uncorr_bkguncrt_0": gamma0, "uncorr_bkguncrt_1": gamma1},
                "expected": twice_nll(
                    uncorrelated, uncorrelated_data, {"mu": mu, "uncorr_bkguncrt": [gamma0, gamma1]}
                ),
            }
            for mu, gamma0, gamma1 in [(1.0, 1.0, 1.0), (0.5, 1.05, 0.9), (2.0, 0.95, 1.1)]
        ],
        "correlated": [
            {
                "parameters": {"mu": mu, "alpha_correlated_bkg_uncertainty": alpha},
                "expected": twice_nll(
                    correlated, correlated_data, {"mu": mu, "correlated_bkg_uncertainty": alpha}
                ),
            }
            for mu, alpha in [(1.0, 0.0), (0.5, 0.5), (2.0, -0.3)]
        ],
    }


@pytest.fixture(scope="session")
def pyhf_reference_points():
    """Reference points for the pyhf example workspaces, from bare pyhf."""

    def points_for(path, values):
        workspace = pyhf.Workspace(json.loads(Path(path).read_text()))
        model = workspace.model()
        data = workspace.data(model)
        return [{"parameters": point, "expected": twice_nll(model, data, point)} for point in values]

    return points_for
