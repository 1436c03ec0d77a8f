"""Translate a HistFactory-style HS3 document into a pyhf workspace.

This gives HS3 submissions a third, independent engine (pyhf) and lets the pre-fit plots work the
same for both formats. Only the modifier types pyhf has an exact counterpart for are translated;
anything else raises `UnsupportedHS3Error` with the reason.
"""

from __future__ import annotations

from typing import Any

from .hs3 import choose_analysis, declared_parameters, likelihood_of


class UnsupportedHS3Error(ValueError):
    """The document uses something pyhf cannot express exactly."""


def hs3_to_pyhf(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return a pyhf workspace spec and the renaming of pyhf scalar names to HS3 parameter names."""
    analysis = choose_analysis(document)
    likelihood = likelihood_of(document, analysis)
    distributions = {entry["name"]: entry for entry in document.get("distributions") or []}
    data_sets = {entry["name"]: entry for entry in document.get("data") or []}
    aliases: dict[str, str] = {}
    channels, observations = [], []
    distribution_names, data_names = likelihood.get("distributions") or [], likelihood.get("data") or []
    if len(distribution_names) != len(data_names):
        raise UnsupportedHS3Error(
            f"likelihood {likelihood.get('name')!r} pairs {len(distribution_names)} distributions "
            f"with {len(data_names)} data sets"
        )
    for distribution_name, data_name in zip(distribution_names, data_names, strict=True):
        distribution = distributions.get(distribution_name)
        if distribution is None or distribution.get("type") != "histfactory_dist":
            raise UnsupportedHS3Error(f"distribution {distribution_name!r} is not a histfactory_dist")
        channel_name = distribution_name.removeprefix("model_")
        samples = [_sample(sample, distributions, aliases) for sample in distribution.get("samples") or []]
        channels.append({"name": channel_name, "samples": samples})
        observed = data_sets.get(data_name, {}).get("contents")
        if observed is None:
            raise UnsupportedHS3Error(f"data {data_name!r} has no binned contents")
        observations.append({"name": channel_name, "data": observed})
    pois = analysis.get("parameters_of_interest") or []
    spec = {
        "channels": channels,
        "observations": observations,
        "measurements": [
            {
                "name": analysis["name"],
                "config": {
                    "poi": pois[0] if pois else "",
                    "parameters": _parameter_configs(document, analysis, channels),
                },
            }
        ],
        "version": "1.0.0",
    }
    return spec, aliases


def _sample(sample: dict[str, Any], distributions: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    contents = (sample.get("data") or {}).get("contents")
    if contents is None:
        raise UnsupportedHS3Error(f"sample {sample.get('name')!r} has no contents")
    errors = (sample.get("data") or {}).get("errors")
    return {
        "name": sample["name"],
        "data": contents,
        "modifiers": [
            _modifier(modifier, errors, distributions, aliases) for modifier in sample.get("modifiers") or []
        ],
    }


def _modifier(
    modifier: dict[str, Any],
    errors: list[float] | None,
    distributions: dict[str, Any],
    aliases: dict[str, str],
) -> dict[str, Any]:
    kind = modifier.get("type")
    data = modifier.get("data") or {}
    if kind == "normfactor":
        return {"name": modifier.get("parameter", modifier["name"]), "type": "normfactor", "data": None}
    if kind in ("normsys", "histosys"):
        _require_gaussian(modifier, distributions)
        name = modifier.get("parameter", modifier["name"])
        if kind == "normsys":
            return {"name": name, "type": "normsys", "data": {"hi": data["hi"], "lo": data["lo"]}}
        return {
            "name": name,
            "type": "histosys",
            "data": {"hi_data": data["hi"]["contents"], "lo_data": data["lo"]["contents"]},
        }
    if kind in ("shapesys", "staterror", "shapefactor"):
        name = modifier["name"]
        for index, parameter in enumerate(modifier.get("parameters") or []):
            aliases[f"{name}[{index}]"] = parameter
        if kind == "shapefactor":
            return {"name": name, "type": "shapefactor", "data": None}
        if kind == "shapesys":
            if modifier.get("constraint", "Poisson") != "Poisson":
                raise UnsupportedHS3Error(f"shapesys {name!r} with a {modifier['constraint']} constraint")
            return {"name": name, "type": "shapesys", "data": data.get("vals")}
        if modifier.get("constraint", "Gauss") != "Gauss" or errors is None:
            raise UnsupportedHS3Error(f"staterror {name!r} needs a Gauss constraint and sample errors")
        return {"name": name, "type": "staterror", "data": errors}
    raise UnsupportedHS3Error(f"modifier type {kind!r} has no pyhf counterpart")


def _require_gaussian(modifier: dict[str, Any], distributions: dict[str, Any]) -> None:
    """Pyhf constrains normsys/histosys with a unit Gaussian; HS3 may name it or spell it out."""
    constraint = modifier.get("constraint", "Gauss")
    if constraint == "Gauss":
        return
    distribution = distributions.get(constraint)
    if (
        distribution
        and distribution.get("type") == "gaussian_dist"
        and float(distribution.get("sigma", 0)) == 1.0
    ):
        return
    raise UnsupportedHS3Error(
        f"modifier {modifier.get('name')!r} has constraint {constraint!r}, not a unit Gaussian"
    )


def _parameter_configs(
    document: dict[str, Any], analysis: dict[str, Any], channels: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Constant parameters stay fixed at their value; normfactor bounds follow the HS3 domains."""
    declared = declared_parameters(document, analysis)
    normfactors = {
        modifier["name"]
        for channel in channels
        for sample in channel["samples"]
        for modifier in sample["modifiers"]
        if modifier["type"] == "normfactor"
    }
    configs = []
    for name in sorted(normfactors):
        parameter = declared.get(name)
        if parameter is None:
            continue
        config: dict[str, Any] = {"name": name, "inits": [parameter.init]}
        if parameter.fixed:
            config["fixed"] = True
        if parameter.lower > float("-inf") and parameter.upper < float("inf"):
            config["bounds"] = [[parameter.lower, parameter.upper]]
        configs.append(config)
    return configs
