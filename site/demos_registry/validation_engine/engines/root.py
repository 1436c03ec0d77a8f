"""ROOT/RooFit, the C++ engine: imports HS3 with RooJSONFactoryWSTool.

RooFit's NLL differs from pyhf's −2 ln L by a constant, so it is only used for differences
between points (the cross-engine check), never for absolute reference values.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from .base import LikelihoodEngine, Parameter
from .hs3 import choose_analysis, likelihood_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import ROOT

ROOT.gROOT.SetBatch(True)
ROOT.RooMsgService.instance().setGlobalKillBelow(ROOT.RooFit.ERROR)


class RootEngine(LikelihoodEngine):
    """An independent C++ reading of HS3; where it differs from pyhf and pyhs3, a curator decides."""

    name = "root"
    version = str(ROOT.gROOT.GetVersion())

    def __init__(self, document: dict[str, Any]):
        self._workspace = ROOT.RooWorkspace("demos_validation")
        tool = ROOT.RooJSONFactoryWSTool(self._workspace)
        if not tool.importJSONfromString(json.dumps(document)):
            raise ValueError("RooJSONFactoryWSTool could not import the document")
        analysis = choose_analysis(document)
        pdf, data = self._pdf_and_data(document, analysis)
        self._nll = pdf.createNLL(data)
        self._variables = {}
        self.parameters = []
        pois = set(analysis.get("parameters_of_interest") or [])
        for variable in pdf.getParameters(data):
            if not isinstance(variable, ROOT.RooRealVar):
                continue
            name = variable.GetName()
            self._variables[name] = variable
            self.parameters.append(
                Parameter(
                    name=name,
                    init=float(variable.getVal()),
                    lower=float(variable.getMin()),
                    upper=float(variable.getMax()),
                    fixed=bool(variable.isConstant()),
                    poi=name in pois,
                )
            )

    def _pdf_and_data(self, document: dict[str, Any], analysis: dict[str, Any]) -> tuple[Any, Any]:
        """The combined pdf ROOT exported (ROOT_internal), else the single channel of the likelihood."""
        internal = (document.get("misc") or {}).get("ROOT_internal") or {}
        model_config = (internal.get("ModelConfigs") or {}).get(analysis["name"]) or {}
        likelihood = likelihood_of(document, analysis)
        channel_data = likelihood.get("data") or []
        for name, combined in (internal.get("combined_datasets") or {}).items():
            labels = combined.get("labels") or []
            if sorted(f"{name}_{label}" for label in labels) == sorted(channel_data):
                pdf = self._workspace.pdf(model_config.get("pdfName", ""))
                data = self._workspace.data(name)
                if pdf and data:
                    return pdf, data
        distributions = likelihood.get("distributions") or []
        if len(distributions) != 1 or len(channel_data) != 1:
            raise ValueError("multi-channel HS3 likelihood without ROOT's combined pdf is not supported")
        pdf = self._workspace.pdf(distributions[0])
        data = self._workspace.data(channel_data[0])
        if not pdf or not data:
            raise ValueError(
                f"ROOT did not create the pdf {distributions[0]!r} or the data {channel_data[0]!r}"
            )
        return pdf, data

    def evaluate_vector(self, vector: np.ndarray) -> float:
        """Twice RooFit's NLL, which differs from pyhf's −2 ln L by a constant."""
        for parameter, value in zip(self.parameters, vector, strict=True):
            self._variables[parameter.name].setVal(float(value))
        return 2.0 * float(self._nll.getVal())
