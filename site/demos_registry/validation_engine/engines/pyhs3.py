"""pyhs3 (PyTensor backend): −2 ln L of an HS3 document, same convention as pyhf."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytensor
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import graph_inputs

from ..pyhs3_import import import_pyhs3
from .base import LikelihoodEngine, Parameter
from .hs3 import choose_analysis, declared_parameters

pyhs3 = import_pyhs3()


class Pyhs3Engine(LikelihoodEngine):
    """HS3, submitted or translated from pyhf: −2 ln L compiled once into a PyTensor function."""

    name = "pyhs3"
    version = pyhs3.__version__

    def __init__(self, document: dict[str, Any], aliases: dict[str, str] | None = None):
        """`aliases` renames HS3 parameter names (HS3 name -> public name)."""
        workspace = pyhs3.Workspace(**document)
        analysis = choose_analysis(document)
        model = workspace.model(workspace.analyses[analysis["name"]])
        expression = -2 * model.log_prob
        self._inputs = [
            variable for variable in graph_inputs([expression]) if not isinstance(variable, Constant)
        ]
        self._function = pytensor.function(self._inputs, expression, mode="FAST_COMPILE")
        declared = declared_parameters(document, analysis)
        aliases = aliases or {}
        self.parameters = [
            replace(
                declared.get(variable.name) or Parameter(variable.name, 1.0, float("-inf"), float("inf")),
                name=aliases.get(variable.name, variable.name),
            )
            for variable in self._inputs
        ]

    def evaluate_vector(self, vector: np.ndarray) -> float:
        """The compiled function at the vector, each value cast to its graph input's dtype."""
        arguments = [
            np.asarray(value, dtype=variable.dtype)
            for value, variable in zip(vector, self._inputs, strict=True)
        ]
        return float(self._function(*arguments))
