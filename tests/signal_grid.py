"""A small signal grid over a two-bin pyhf workspace, and what bare pyhf makes of each point.

Shared by the engine's tests (tests/validation/test_patch_points.py) and the fan-out test
with a real worker (tests/test_patch_fanout.py); the point (300, 10) has no signal, so its
observed CLs at μ = 1 is nan.
"""

import jsonpatch
import pyhf

OBSERVED = [51.0, 48.0]
SIGNAL_GRID = {
    (100, 10): [12.0, 11.0],
    (100, 20): [6.0, 5.0],
    (200, 10): [25.0, 3.0],
    (200, 20): [2.0, 1.5],
    (300, 10): [0.0, 0.0],
    (300, 20): [40.0, 30.0],
}
DEGENERATE = (300, 10)


def background_only_workspace():
    """A pyhf workspace with a signal sample (scaled by mu) that the patches fill in."""
    model = pyhf.simplemodels.uncorrelated_background(
        signal=[1.0, 1.0], bkg=[50.0, 52.0], bkg_uncertainty=[3, 7]
    )
    assert model.spec["channels"][0]["samples"][0]["name"] == "signal"
    return {
        "channels": model.spec["channels"],
        "observations": [{"name": "singlechannel", "data": OBSERVED}],
        "measurements": [{"name": "measurement", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def signal_patch(signal):
    """The JSON patch that puts a signal into the workspace."""
    return [{"op": "replace", "path": "/channels/0/samples/0/data", "value": signal}]


def point_name(m1, m2):
    """The patch name of a grid point."""
    return f"signal_{m1}_{m2}"


def patchset_for(workspace, grid=SIGNAL_GRID):
    """A pyhf patchset of the grid's points with `labels` m1, m2 and per-patch `values`."""
    return {
        "metadata": {
            "description": "a small signal grid",
            "digests": {"sha256": pyhf.utils.digest(workspace)},
            "labels": ["m1", "m2"],
            "references": {"hepdata": "ins0000000"},
        },
        "patches": [
            {"metadata": {"name": point_name(*masses), "values": list(masses)}, "patch": signal_patch(signal)}
            for masses, signal in grid.items()
        ],
        "version": "1.0.0",
    }


def bare_pyhf(workspace, signal):
    """What a physicist gets with pyhf directly on the patched workspace: −2 ln L, CLs, band."""
    patched = pyhf.Workspace(jsonpatch.apply_patch(workspace, signal_patch(signal)))
    model = patched.model()
    data = patched.data(model)
    observed, expected = pyhf.infer.hypotest(
        1.0, data, model, test_stat="qtilde", calctype="asymptotics", return_expected_set=True
    )
    twice_nll = float(-2 * model.logpdf(model.config.suggested_init(), data)[0])
    return twice_nll, float(observed), [float(value) for value in expected]
