"""Facts extracted for the record page and the search index: channels, samples, bins, parameters."""

from __future__ import annotations

from collections import Counter
from typing import Any

from . import formats
from .context import Context, guard_hs3_size, guard_pyhf_size
from .engines.hs3 import choose_analysis, declared_parameters


def extract_facts(context: Context) -> list[dict[str, Any]]:
    """Facts of every readable model, and of the selected patched model; a failure is a fact too."""
    facts = []
    for document in context.submission.of_format(
        formats.PYHF_WORKSPACE, formats.PYHF_MODEL_SPEC, formats.HS3
    ):
        if document.problems:
            continue
        try:
            facts.append(model_facts(document.name, document.format, document.document, context))
        except Exception as exc:
            facts.append(
                {"model": document.name, "format": document.format, "error": f"{type(exc).__name__}: {exc}"}
            )
    try:
        primary = context.primary()
        if primary is not None and primary.patch_label:
            facts.append(model_facts(primary.label, primary.source.format, primary.document, context))
    except Exception as exc:
        facts.append({"model": "selected model", "error": f"{type(exc).__name__}: {exc}"})
    return facts


def model_facts(label: str, kind: str, document: dict[str, Any], context: Context) -> dict[str, Any]:
    """Channels, samples, bins and parameters of one model; HS3 goes through pyhf where it can."""
    aliases: dict[str, str] = {}
    spec = document
    if kind == formats.HS3:
        from .engines.hs3_to_pyhf import UnsupportedHS3Error, hs3_to_pyhf

        guard_hs3_size(document, context.limits)
        try:
            spec, aliases = hs3_to_pyhf(document)
        except UnsupportedHS3Error:
            return _hs3_facts(label, document)
    guard_pyhf_size(spec, context.limits)
    facts = _pyhf_structure(label, kind, spec)
    facts["parameters"] = _pyhf_parameters(label, spec, kind, aliases, context)
    facts["n_parameters"] = len(facts["parameters"])
    return facts


def _pyhf_structure(label: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    channels = [
        {
            "name": channel["name"],
            "bins": len((channel.get("samples") or [{}])[0].get("data") or []),
            "samples": [sample["name"] for sample in channel.get("samples") or []],
        }
        for channel in spec.get("channels") or []
    ]
    samples = sorted({sample for channel in channels for sample in channel["samples"]})
    modifier_types = Counter(
        modifier.get("type")
        for channel in spec.get("channels") or []
        for sample in channel.get("samples") or []
        for modifier in sample.get("modifiers") or []
    )
    observations = spec.get("observations") or []
    return {
        "model": label,
        "format": kind,
        "channels": channels,
        "n_channels": len(channels),
        "samples": samples,
        "n_samples": len(samples),
        "n_bins": sum(channel["bins"] for channel in channels),
        "modifiers": dict(modifier_types),
        "pois": sorted(
            {(m.get("config") or {}).get("poi") for m in spec.get("measurements") or []} - {"", None}
        ),
        "observed": {
            "bins": sum(len(entry.get("data") or []) for entry in observations),
            "events": float(sum(sum(entry.get("data") or []) for entry in observations)),
        },
    }


def _pyhf_parameters(
    label: str, spec: dict[str, Any], kind: str, aliases: dict[str, str], context: Context
) -> list[dict[str, Any]]:
    import pyhf

    from .engines.pyhf import PyhfEngine

    if kind == formats.PYHF_MODEL_SPEC:
        model = pyhf.Model(spec, poi_name=None)
        return [parameter.to_dict() for parameter in PyhfEngine(model, [], aliases).parameters]
    model, data = context.pyhf_model(label, spec, with_poi=_declares_usable_poi(spec))
    return [parameter.to_dict() for parameter in PyhfEngine(model, data, aliases).parameters]


def _declares_usable_poi(spec: dict[str, Any]) -> bool:
    """Background-only workspaces name a POI that only their signal patches add."""
    modifiers = {
        modifier.get("name")
        for channel in spec.get("channels") or []
        for sample in channel.get("samples") or []
        for modifier in sample.get("modifiers") or []
    }
    return any((m.get("config") or {}).get("poi") in modifiers for m in spec.get("measurements") or [])


def _hs3_facts(label: str, document: dict[str, Any]) -> dict[str, Any]:
    """Structure straight from the HS3 document, for models pyhf cannot express."""
    analysis = choose_analysis(document)
    channels = [
        {
            "name": entry["name"],
            "bins": sum(int(axis.get("nbins", 0)) for axis in entry.get("axes") or []),
            "samples": [sample.get("name") for sample in entry.get("samples") or []],
        }
        for entry in document.get("distributions") or []
        if entry.get("type") == "histfactory_dist"
    ]
    samples = sorted({sample for channel in channels for sample in channel["samples"]})
    parameters = [parameter.to_dict() for parameter in declared_parameters(document, analysis).values()]
    return {
        "model": label,
        "format": formats.HS3,
        "channels": channels,
        "n_channels": len(channels),
        "samples": samples,
        "n_samples": len(samples),
        "n_bins": sum(channel["bins"] for channel in channels),
        "pois": list(analysis.get("parameters_of_interest") or []),
        "parameters": parameters,
        "n_parameters": len(parameters),
    }
