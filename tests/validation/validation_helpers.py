"""Helpers shared by the validation tests (a plain module: conftest files are not importable)."""

import hashlib
from pathlib import Path

import pyhf

HS3_OBSERVED = [51, 48]


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def twice_nll(model, data, values):
    """−2 ln L with bare pyhf at named parameter values (others at their suggested init)."""
    pars = model.config.suggested_init()
    for name, value in values.items():
        position = model.config.par_slice(name)
        if isinstance(value, list):
            pars[position] = value
        else:
            pars[position.start] = value
    return float(-2 * model.logpdf(pars, data)[0])


def simple_uncorrelated():
    """The pyhf twin of models/hs3/simplemodel_uncorrelated-background_hs3.json."""
    return pyhf.simplemodels.uncorrelated_background(signal=[12, 11], bkg=[50, 52], bkg_uncertainty=[3, 7])


def simple_correlated():
    """The pyhf twin of the two correlated-background HS3 files."""
    return pyhf.simplemodels.correlated_background(
        signal=[12, 11], bkg=[50, 52], bkg_up=[45, 55], bkg_down=[55, 45]
    )
