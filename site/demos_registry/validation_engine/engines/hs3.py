"""Reading the parts of an HS3 document that every HS3 engine needs in the same way."""

from __future__ import annotations

from typing import Any

from .base import Parameter


def choose_analysis(document: dict[str, Any]) -> dict[str, Any]:
    """The analysis on observed data: the one whose name mentions 'obs', else the first one."""
    analyses = document.get("analyses") or []
    if not analyses:
        raise ValueError("the HS3 document declares no analyses")
    return next((analysis for analysis in analyses if "obs" in analysis.get("name", "").lower()), analyses[0])


def likelihood_of(document: dict[str, Any], analysis: dict[str, Any]) -> dict[str, Any]:
    """The likelihood an analysis refers to; a dangling reference is a ValueError."""
    name = analysis.get("likelihood")
    for likelihood in document.get("likelihoods") or []:
        if likelihood.get("name") == name:
            return likelihood
    raise ValueError(f"analysis {analysis.get('name')!r} refers to an undefined likelihood {name!r}")


def declared_parameters(document: dict[str, Any], analysis: dict[str, Any]) -> dict[str, Parameter]:
    """Initial values, constness and bounds from the first parameter point set and the domains."""
    parameters: dict[str, Parameter] = {}
    points = document.get("parameter_points") or []
    if points:
        for entry in points[0].get("parameters") or []:
            parameters[entry["name"]] = Parameter(
                name=entry["name"],
                init=float(entry.get("value", 0.0)),
                lower=float("-inf"),
                upper=float("inf"),
                fixed=bool(entry.get("const", False)),
            )
    domain_names = set(analysis.get("domains") or []) | {"default_domain"}
    for domain in document.get("domains") or []:
        if domain.get("name") not in domain_names:
            continue
        for axis in domain.get("axes") or []:
            parameter = parameters.setdefault(
                axis["name"], Parameter(name=axis["name"], init=0.0, lower=float("-inf"), upper=float("inf"))
            )
            parameter.lower = float(axis.get("min", parameter.lower))
            parameter.upper = float(axis.get("max", parameter.upper))
    for name in analysis.get("parameters_of_interest") or []:
        if name in parameters:
            parameters[name].poi = True
    return parameters
