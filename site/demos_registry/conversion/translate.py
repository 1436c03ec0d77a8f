"""Translate a model file into HS3 or a pyhf workspace with the validation engine's own translators.

The engine (validation_engine/engines/pyhf_to_hs3.py, hs3_to_pyhf.py) is only called, never
changed: what it translates here is what its cross-engine check evaluated, so the check's
comparison is the agreement of this very translation (``agreement``).
"""

from ..validation_engine import formats
from ..validation_engine.context import guard_hs3_size, guard_pyhf_size
from ..validation_engine.engines.hs3_to_pyhf import UnsupportedHS3Error, hs3_to_pyhf
from ..validation_engine.engines.pyhf_to_hs3 import UntranslatablePyhfError, pyhf_to_hs3
from ..validation_engine.limits import ResourceLimits
from ..validation_engine.safejson import UnsafeJSONError, parse_json

HS3, PYHF = "hs3", "pyhf"
TARGETS = (HS3, PYHF)
FORMAT_OF_TARGET = {HS3: formats.HS3, PYHF: formats.PYHF_WORKSPACE}
CROSS_ENGINE_CHECK = "cross_engine"
ENGINE_LIMITS = ResourceLimits()
"""The engine's bounds on nesting and bins hold for a translation as for a validation."""


class NotTranslatable(ValueError):
    """The model file cannot be given in the asked format; the message says why."""


def parsed_model(raw, max_bytes):
    """The JSON document of a model file and its format, within the engine's limits."""
    try:
        parsed = parse_json(raw, max_bytes, ENGINE_LIMITS.max_json_depth)
    except (UnsafeJSONError, ValueError) as error:
        raise NotTranslatable(f"the model file is not JSON the registry can read: {error}") from error
    if parsed.problems():
        raise NotTranslatable("; ".join(parsed.problems()))
    return parsed.document, formats.classify_json(parsed.document)


def _pyhf_workspace_to_hs3(spec):
    import pyhf

    try:
        guard_pyhf_size(spec, ENGINE_LIMITS)
        workspace = pyhf.Workspace(spec)
        model = workspace.model()
        observed = list(workspace.data(model)[: model.config.nmaindata])
        document, _aliases = pyhf_to_hs3(model, spec, observed)
    except UntranslatablePyhfError as error:
        raise NotTranslatable(f"HS3 cannot express this workspace exactly: {error}") from error
    except Exception as error:  # pyhf's schema, build and size errors: the workspace does not build
        raise NotTranslatable(f"pyhf cannot build the workspace: {error}") from error
    return document


def _hs3_to_pyhf_workspace(document):
    import pyhf

    try:
        guard_hs3_size(document, ENGINE_LIMITS)
        spec, _aliases = hs3_to_pyhf(document)
    except (UnsupportedHS3Error, KeyError, TypeError) as error:
        raise NotTranslatable(f"pyhf cannot express this HS3 model exactly: {error}") from error
    except Exception as error:  # the engine's size guard
        raise NotTranslatable(str(error)) from error
    try:
        pyhf.schema.validate(spec, "workspace.json")
    except Exception as error:
        raise NotTranslatable(f"the translation is no valid pyhf workspace: {error}") from error
    return spec


def translate(document, source_format, target):
    """The document in the ``target`` format (``hs3`` or ``pyhf``) and whether it was translated."""
    if FORMAT_OF_TARGET[target] == source_format:
        return document, False
    if target == HS3 and source_format == formats.PYHF_WORKSPACE:
        return _pyhf_workspace_to_hs3(document), True
    if target == PYHF and source_format == formats.HS3:
        return _hs3_to_pyhf_workspace(document), True
    raise NotTranslatable(
        f"the model file is a {source_format} document: only pyhf workspaces and HS3 models translate"
    )


def agreement(validation, translated, patch=None):
    """What the validation's cross-engine check found about the translation.

    ``status``: the check's status when it evaluated the translation (pyhs3 on the HS3 made from
    a workspace, pyhf on the workspace made from an HS3 model), ``not_checked`` otherwise, with
    the check's points (parameter values and −2Δ ln L per engine). With a selected ``patch`` the
    check compared the patched workspace, not the file as translated here.
    """
    if not translated:
        return {"status": "not_translated", "reason": "the file is already in this format", "points": []}
    if patch:
        return {
            "status": "not_checked",
            "reason": f"the validation compared the workspace with patch {patch} applied; "
            "this translation is of the file without it",
            "points": [],
        }
    checks = ((validation or {}).get("report") or {}).get("checks") or []
    check = next((c for c in checks if c.get("id") == CROSS_ENGINE_CHECK), None)
    if check is None:
        return {
            "status": "not_checked",
            "reason": "no cross-engine check in the validation report",
            "points": [],
        }
    details = check.get("details") or {}
    engines = details.get("engines") or {}
    if not {"pyhf", "pyhs3"} <= set(engines):
        unavailable = "; ".join(f"{name}: {why}" for name, why in (details.get("unavailable") or {}).items())
        return {
            "status": "not_checked",
            "reason": f"the check did not evaluate the translation ({unavailable or 'one engine missing'})",
            "points": [],
        }
    return {
        "status": check.get("status"),
        "reason": check.get("reason"),
        "engines": engines,
        "rtol": details.get("rtol"),
        "atol": details.get("atol"),
        "points": details.get("points") or [],
    }
