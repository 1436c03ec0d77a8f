"""What every likelihood engine offers the checks: named scalar parameters and −2 ln L."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


class ParameterError(ValueError):
    """A point does not fit the model's parameters; the message says which and why."""


class UnknownParameterError(ParameterError):
    """A point names a parameter the model does not have."""

    def __init__(self, name: str):
        super().__init__(f"unknown parameter {name!r}")
        self.name = name


@dataclass
class Parameter:
    """One scalar parameter as the checks see it: initial value, bounds, fixed or not, POI or not."""

    name: str
    init: float
    lower: float
    upper: float
    fixed: bool = False
    poi: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain values for the facts stored with the record."""
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
        """−2 ln L at a full vector ordered like `parameters`; the one method each engine implements."""
        raise NotImplementedError

    @property
    def poi(self) -> str | None:
        """Name of the parameter of interest, or None for a model without one."""
        return next((parameter.name for parameter in self.parameters if parameter.poi), None)

    def parameter_names(self) -> list[str]:
        """Scalar parameter names in vector order."""
        return [parameter.name for parameter in self.parameters]

    def initial_vector(self) -> np.ndarray:
        """The suggested initial values, which fill in what a point does not name."""
        return np.array([parameter.init for parameter in self.parameters], dtype=float)

    def vector(self, values: Mapping[str, Any]) -> np.ndarray:
        """The full parameter vector: named values over the suggested initial values.

        A vector parameter given as a list must have all its components: a short list would leave
        the rest at their initial values unnoticed. Single components are named `name[i]`.
        """
        vector = self.initial_vector()
        index = {name: position for position, name in enumerate(self.parameter_names())}
        for name, value in values.items():
            positions = _positions(index, name)
            if positions is None:
                raise UnknownParameterError(name)
            given = list(value) if isinstance(value, (list, tuple)) else [value]
            if len(given) != len(positions):
                kind = f"a vector of {len(positions)} components" if len(positions) > 1 else "a scalar"
                raise ParameterError(
                    f"parameter {name!r} is {kind}, the point gives {len(given)} value(s)"
                    + (f" (name one component as {name}[i])" if len(positions) > 1 else "")
                )
            vector[positions] = [float(item) for item in given]
        return vector

    def twice_nll(self, values: Mapping[str, Any]) -> float:
        """−2 ln L at a point given by name, as reference points are declared."""
        return self.evaluate_vector(self.vector(values))

    def values_of(self, vector: np.ndarray) -> dict[str, float]:
        """A vector as name: value, for reports and comparisons between engines."""
        return dict(zip(self.parameter_names(), (float(item) for item in vector), strict=True))


def _positions(index: dict[str, int], name: str) -> list[int] | None:
    """Where a scalar, a component `name[i]` or all components of a vector `name` sit."""
    if name in index:
        return [index[name]]
    components = []
    while f"{name}[{len(components)}]" in index:
        components.append(index[f"{name}[{len(components)}]"])
    return components or None
