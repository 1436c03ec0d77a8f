"""Translate a pyhf workspace into an HS3 document, so pyhs3 can cross-check pyhf submissions.

The translation writes pyhf's own interpolation codes and constraints explicitly; what HS3 (as
pyhs3 reads it) cannot express the same way raises `UntranslatablePyhfError` with the reason.
Scalar parameter names are kept; component i of a vector parameter `name` becomes `name_i`.
"""

from __future__ import annotations

from typing import Any


class UntranslatablePyhfError(ValueError):
    """The workspace uses something the HS3 translation cannot express exactly."""


def pyhf_to_hs3(
    model: Any, spec: dict[str, Any], observed: list[float]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return an HS3 document for a built pyhf model and the renaming pyhf flat name -> HS3 name.

    `model` supplies what pyhf derived (parameter order, inits, bounds, fixed flags, lumi
    constraint); `spec` the per-sample data; `observed` the main data in channel order.
    """
    config = model.config
    aliases = _vector_aliases(config)
    measurement = _measurement_config(spec, config)
    distributions, data = [], []
    for channel in spec["channels"]:
        name = channel["name"]
        bins = config.channel_nbins[name]
        axes = [{"name": f"obs_x_{name}", "min": 0.0, "max": float(bins), "nbins": bins}]
        distributions.append(
            {
                "name": f"model_{name}",
                "type": "histfactory_dist",
                "axes": axes,
                "samples": [_sample(sample, config) for sample in channel["samples"]],
            }
        )
        contents = [float(value) for value in observed[config.channel_slices[name]]]
        data.append({"name": f"obsData_{name}", "type": "binned", "axes": axes, "contents": contents})
    lumi_names = _lumi_names(spec)
    for parameter, declared in measurement.items():
        if parameter not in lumi_names and ("auxdata" in declared or "sigmas" in declared):
            raise UntranslatablePyhfError(f"parameter {parameter!r} has its own auxdata/sigmas")
    aux_distributions = [_lumi_constraint(parameter, measurement) for parameter in sorted(lumi_names)]
    distributions += aux_distributions
    scalar_names = [aliases.get(name, name) for name in _flat_names(config)]
    init, bounds, fixed = config.suggested_init(), config.suggested_bounds(), config.suggested_fixed()
    document = {
        "metadata": {"hs3_version": "0.2"},
        "distributions": distributions,
        "data": data,
        "likelihoods": [
            {
                "name": "likelihood",
                "distributions": [entry["name"] for entry in distributions[: len(data)]],
                "data": [entry["name"] for entry in data],
                "aux_distributions": [entry["name"] for entry in aux_distributions] or None,
            }
        ],
        "analyses": [
            {
                "name": "obs_analysis",
                "likelihood": "likelihood",
                "parameters_of_interest": [config.poi_name] if config.poi_name else [],
                "domains": ["domain"],
            }
        ],
        "domains": [
            {
                "name": "domain",
                "type": "product_domain",
                "axes": [
                    {"name": name, "min": float(low), "max": float(high)}
                    for name, (low, high) in zip(scalar_names, bounds, strict=True)
                ],
            }
        ],
        "parameter_points": [
            {
                "name": "default_values",
                "parameters": [
                    {"name": name, "value": float(value), "const": bool(is_fixed)}
                    for name, value, is_fixed in zip(scalar_names, init, fixed, strict=True)
                ],
            }
        ],
    }
    if document["likelihoods"][0]["aux_distributions"] is None:
        del document["likelihoods"][0]["aux_distributions"]
    return document, aliases


def _flat_names(config: Any) -> list[str]:
    names = [""] * config.npars
    for parameter in config.par_order:
        positions = range(config.npars)[config.par_slice(parameter)]
        for offset, position in enumerate(positions):
            names[position] = parameter if len(positions) == 1 else f"{parameter}[{offset}]"
    return names


def _vector_aliases(config: Any) -> dict[str, str]:
    """HS3 names the per-bin parameters of shapesys, staterror and shapefactor one by one."""
    binwise = {name for name, kind in config.modifiers if kind in ("shapesys", "staterror", "shapefactor")}
    aliases = {}
    for parameter in binwise:
        size = config.param_set(parameter).n_parameters
        for index in range(size):
            aliases[parameter if size == 1 else f"{parameter}[{index}]"] = f"{parameter}_{index}"
    return aliases


def _measurement_config(spec: dict[str, Any], config: Any) -> dict[str, dict[str, Any]]:
    measurements = spec.get("measurements") or []
    chosen = next((m for m in measurements if (m.get("config") or {}).get("poi") == config.poi_name), None)
    chosen = chosen or (measurements[0] if measurements else {})
    return {entry["name"]: entry for entry in (chosen.get("config") or {}).get("parameters") or []}


def _lumi_names(spec: dict[str, Any]) -> set[str]:
    return {
        modifier["name"]
        for channel in spec["channels"]
        for sample in channel["samples"]
        for modifier in sample["modifiers"]
        if modifier["type"] == "lumi"
    }


def _lumi_constraint(parameter: str, measurement: dict[str, dict[str, Any]]) -> dict[str, Any]:
    declared = measurement.get(parameter) or {}
    if "auxdata" not in declared or "sigmas" not in declared:
        raise UntranslatablePyhfError(
            f"lumi parameter {parameter!r} has no auxdata/sigmas in the measurement"
        )
    return {
        "name": f"{parameter}_constraint",
        "type": "gaussian_dist",
        "x": float(declared["auxdata"][0]),
        "mean": parameter,
        "sigma": float(declared["sigmas"][0]),
    }


def _sample(sample: dict[str, Any], config: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"contents": [float(value) for value in sample["data"]]}
    modifiers = []
    for modifier in sample["modifiers"]:
        kind, name = modifier["type"], modifier["name"]
        size = config.param_set(name).n_parameters
        components = [f"{name}_{index}" for index in range(size)]
        if kind in ("normfactor", "lumi"):
            modifiers.append({"type": "normfactor", "name": name, "parameter": name})
        elif kind == "normsys":
            modifiers.append(
                {
                    "type": "normsys",
                    "name": name,
                    "parameter": name,
                    "constraint": "Gauss",
                    "interpolation": "code1",
                    "data": {"hi": float(modifier["data"]["hi"]), "lo": float(modifier["data"]["lo"])},
                }
            )
        elif kind == "histosys":
            modifiers.append(
                {
                    "type": "histosys",
                    "name": name,
                    "parameter": name,
                    "constraint": "Gauss",
                    "interpolation": "code0",
                    "data": {
                        "hi": {"contents": [float(value) for value in modifier["data"]["hi_data"]]},
                        "lo": {"contents": [float(value) for value in modifier["data"]["lo_data"]]},
                    },
                }
            )
        elif kind == "staterror":
            data["errors"] = [float(value) for value in modifier["data"]]
            modifiers.append(
                {"type": "staterror", "name": name, "parameters": components, "constraint": "Gauss"}
            )
        elif kind == "shapesys":
            if any(value <= 0 for value in modifier["data"]) or any(value <= 0 for value in sample["data"]):
                raise UntranslatablePyhfError(
                    f"shapesys {name!r} has empty bins, which pyhf masks and HS3 cannot"
                )
            modifiers.append(
                {
                    "type": "shapesys",
                    "name": name,
                    "parameters": components,
                    "constraint": "Poisson",
                    "data": {"vals": [float(value) for value in modifier["data"]]},
                }
            )
        elif kind == "shapefactor":
            modifiers.append({"type": "shapefactor", "name": name, "parameters": components})
        else:
            raise UntranslatablePyhfError(f"modifier type {kind!r} has no HS3 counterpart")
    return {"name": sample["name"], "data": data, "modifiers": modifiers}
