"""What every likelihood engine offers the checks: named scalar parameters and −2 ln L."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


class UnknownParameterError(KeyError):
    """A reference point names a parameter the model does not have."""


@dataclass
class Parameter:
    name: str
    init: float
    lower: float
    upper: float
    fixed: bool = False
    poi: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LikelihoodEngine:
    """Engines differ in their parameter names and constant offsets, never in this interface.

    Parameters are scalar; a vector parameter ``gamma`` of a pyhf model appears as
    ``gamma[0]``, ``gamma[1]``, ... and a point may give either the scalars or the whole list.
    """

    name = "engine"
    version = "unknown"
    parameters: list[Parameter]

    def evaluate_vector(self, vector: np.ndarray) -> float:
        raise NotImplementedError

    @property
    def poi(self) -> str | None:
        return next((parameter.name for parameter in self.parameters if parameter.poi), None)

    def parameter_names(self) -> list[str]:
        return [parameter.name for parameter in self.parameters]

    def initial_vector(self) -> np.ndarray:
        return np.array([parameter.init for parameter in self.parameters], dtype=float)

    def vector(self, values: Mapping[str, Any]) -> np.ndarray:
        """The full parameter vector: named values over the suggested initial values."""
        vector = self.initial_vector()
        index = {name: position for position, name in enumerate(self.parameter_names())}
        for name, value in values.items():
            if isinstance(value, (list, tuple)):
                for offset, item in enumerate(value):
                    key = f"{name}[{offset}]"
                    if key not in index:
                        raise UnknownParameterError(key)
                    vector[index[key]] = float(item)
            elif name in index:
                vector[index[name]] = float(value)
            elif f"{name}[0]" in index and f"{name}[1]" not in index:
                vector[index[f"{name}[0]"]] = float(value)
            else:
                raise UnknownParameterError(name)
        return vector

    def twice_nll(self, values: Mapping[str, Any]) -> float:
        return self.evaluate_vector(self.vector(values))

    def values_of(self, vector: np.ndarray) -> dict[str, float]:
        return dict(zip(self.parameter_names(), (float(item) for item in vector), strict=True))
