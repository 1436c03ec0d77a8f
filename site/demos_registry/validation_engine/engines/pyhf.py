"""pyhf (numpy backend): the reference engine for pyhf JSON and for HistFactory-style HS3."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyhf

from .base import LikelihoodEngine, Parameter


class PyhfEngine(LikelihoodEngine):
    """The reference engine; it alone also fits, scans and sets limits for expected outputs and plots."""

    name = "pyhf"
    version = pyhf.__version__

    def __init__(self, model: pyhf.Model, data: list[float], aliases: dict[str, str] | None = None):
        """`aliases` renames pyhf's scalar parameter names (flat name -> public name)."""
        self.model = model
        self.data = np.asarray(data, dtype=float)
        aliases = aliases or {}
        config = model.config
        init = config.suggested_init()
        bounds = config.suggested_bounds()
        fixed = config.suggested_fixed()
        self.parameters = []
        for flat_index, flat_name in enumerate(flat_parameter_names(model)):
            self.parameters.append(
                Parameter(
                    name=aliases.get(flat_name, flat_name),
                    init=float(init[flat_index]),
                    lower=float(bounds[flat_index][0]),
                    upper=float(bounds[flat_index][1]),
                    fixed=bool(fixed[flat_index]),
                    poi=config.poi_index is not None and flat_index == config.poi_index,
                )
            )

    def evaluate_vector(self, vector: np.ndarray) -> float:
        """−2 × pyhf's logpdf with the observed main data and auxdata."""
        return float(-2.0 * self.model.logpdf(np.asarray(vector, dtype=float), self.data)[0])

    def fit(self) -> tuple[dict[str, float], float]:
        """Global maximum-likelihood fit: best-fit values and −2 ln L there."""
        best, twice_nll = pyhf.infer.mle.fit(self.data, self.model, return_fitted_val=True)
        return self.values_of(best), float(twice_nll)

    def profile_scan(self, poi_values: np.ndarray) -> np.ndarray:
        """−2 ln L profiled over the nuisance parameters at each fixed POI value."""
        return np.array(
            [
                float(pyhf.infer.mle.fixed_poi_fit(value, self.data, self.model, return_fitted_val=True)[1])
                for value in poi_values
            ]
        )

    def upper_limit(self, cls_level: float) -> float:
        """Observed CLs upper limit on the POI (asymptotics, qtilde)."""
        observed, _expected = pyhf.infer.intervals.upper_limits.upper_limit(
            self.data, self.model, scan=None, level=cls_level
        )
        return float(observed)

    def yields_by_channel(self) -> dict[str, dict[str, Any]]:
        """Pre-fit expected yields per channel and sample, with the observed counts."""
        config = self.model.config
        init = np.asarray(config.suggested_init(), dtype=float)
        by_sample = np.asarray(self.model.main_model.expected_data(init, return_by_sample=True))
        observed = np.asarray(self.data[: config.nmaindata])
        channels = {}
        for channel in config.channels:
            bins = config.channel_slices[channel]
            channels[channel] = {
                "samples": {
                    sample: by_sample[index][bins].tolist() for index, sample in enumerate(config.samples)
                },
                "observed": observed[bins].tolist(),
            }
        return channels


def flat_parameter_names(model: pyhf.Model) -> list[str]:
    """Scalar names in parameter-vector order: `name` for scalars, `name[i]` inside vectors."""
    names = [""] * model.config.npars
    for parameter in model.config.par_order:
        positions = range(model.config.npars)[model.config.par_slice(parameter)]
        for offset, position in enumerate(positions):
            names[position] = parameter if len(positions) == 1 else f"{parameter}[{offset}]"
    return names
