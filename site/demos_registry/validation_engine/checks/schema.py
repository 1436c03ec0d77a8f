"""Schema and structural consistency of every pyhf and HS3 document, errors with their JSON path."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .. import formats
from ..context import Context, ModelBuildError, guard_hs3_size, guard_pyhf_size
from ..inputs import ModelFile
from ..report import CheckResult, CheckStatus

_PYHF_SCHEMAS = {
    formats.PYHF_WORKSPACE: "workspace.json",
    formats.PYHF_MODEL_SPEC: "model.json",
    formats.PYHF_PATCHSET: "patchset.json",
    formats.JSON_PATCH: "jsonpatch.json",
}
_PATCH_OPERATIONS = {
    "add": "value",
    "replace": "value",
    "test": "value",
    "remove": None,
    "move": "from",
    "copy": "from",
}


def check_schema(context: Context) -> CheckResult:
    """Every pyhf and HS3 document must pass its engine's schema and be structurally consistent."""
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    checked = []
    targets_of_patches = {id(candidate.base) for candidate in context.patch_candidates() if candidate.base}
    for document in context.submission.documents:
        if document.problems or (document.format not in _PYHF_SCHEMAS and document.format != formats.HS3):
            continue
        checked.append(document.name)
        if document.format != formats.JSON_PATCH:
            context.progress(f"schema: {document.name}")
        if document.format == formats.HS3:
            _check_hs3(document, context, errors, warnings)
        else:
            _check_pyhf(document, context, id(document) in targets_of_patches, errors, warnings)
    details = {"documents_checked": len(checked), "errors": errors, "warnings": warnings}
    if errors:
        first = errors[0]
        return CheckResult(
            "schema",
            CheckStatus.FAILED,
            f"{len(errors)} error(s); first: {first['file']} at {first['path']}: {first['message']}",
            details,
        )
    if warnings:
        first = warnings[0]
        return CheckResult(
            "schema", CheckStatus.WARNING, f"{first['file']} at {first['path']}: {first['message']}", details
        )
    if not checked:
        return CheckResult("schema", CheckStatus.SKIPPED, "no pyhf or HS3 document to check", details)
    return CheckResult(
        "schema", CheckStatus.PASSED, f"{len(checked)} document(s) valid and consistent", details
    )


def _finding(document: ModelFile, path: str, message: str) -> dict[str, str]:
    return {"file": document.name, "path": path or "$", "message": message}


def _check_pyhf(
    document: ModelFile,
    context: Context,
    patched_later: bool,
    errors: list[dict[str, str]],
    warnings: list[dict[str, str]],
) -> None:
    import pyhf

    if document.format == formats.JSON_PATCH:
        errors.extend(
            _finding(document, path, message) for path, message in json_patch_problems(document.document)
        )
        return
    try:
        pyhf.schema.validate(document.document, _PYHF_SCHEMAS[document.format])
    except pyhf.exceptions.InvalidSpecification as exc:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.parent.path)
        errors.append(_finding(document, path, f"{exc.parent.message} (pyhf schema {exc.schema})"))
        return
    if document.format == formats.PYHF_PATCHSET:
        try:
            pyhf.PatchSet(document.document)
        except pyhf.exceptions.InvalidPatchSet as exc:
            errors.append(_finding(document, "$.patches", str(exc)))
        return
    ambiguities = list(structural_problems(document.document))
    errors.extend(_finding(document, path, message) for path, message in ambiguities)
    if ambiguities:
        return
    spec = document.document
    try:
        guard_pyhf_size(spec, context.limits)
        if document.format == formats.PYHF_MODEL_SPEC:
            pyhf.Model(spec, poi_name=None)
            warnings.append(
                _finding(
                    document,
                    "$",
                    "a model specification without observations or measurements: there is no data to evaluate",
                )
            )
            return
        model, _data = context.pyhf_model(document.name, spec, with_poi=False)
        parameters = set(model.config.parameters)
        for index, measurement in enumerate(spec.get("measurements") or []):
            _check_poi(document, parameters, index, measurement, patched_later, errors)
            if not patched_later:
                _check_parameter_configs(document, parameters, index, measurement, warnings)
    except ModelBuildError as exc:
        errors.append(_finding(document, "$.channels", str(exc)))
    except MemoryError:
        errors.append(_finding(document, "$", f"out of memory (limit {context.limits.memory_bytes} bytes)"))
    except Exception as exc:
        errors.append(_finding(document, "$", f"pyhf rejects the workspace: {type(exc).__name__}: {exc}"))


def _check_poi(
    document: ModelFile,
    parameters: set[str],
    index: int,
    measurement: dict[str, Any],
    patched_later: bool,
    errors: list[dict[str, str]],
) -> None:
    poi = (measurement.get("config") or {}).get("poi")
    path = f"$.measurements[{index}].config.poi"
    if not poi:
        errors.append(
            _finding(document, path, f"measurement {measurement.get('name')!r} has no parameter of interest")
        )
    elif poi not in parameters and not patched_later:
        errors.append(
            _finding(document, path, f"parameter of interest {poi!r} is not a parameter of the model")
        )


def _check_parameter_configs(
    document: ModelFile,
    parameters: set[str],
    index: int,
    measurement: dict[str, Any],
    warnings: list[dict[str, str]],
) -> None:
    """Settings (inits, bounds, constraints) for a parameter the model lacks, which pyhf ignores.

    Background-only workspaces carry them for what their signal patches add, so this is a warning.
    """
    for position, config in enumerate((measurement.get("config") or {}).get("parameters") or []):
        if config.get("name") not in parameters:
            warnings.append(
                _finding(
                    document,
                    f"$.measurements[{index}].config.parameters[{position}].name",
                    f"settings for {config.get('name')!r}, which is not a parameter of the model",
                )
            )


def json_patch_problems(operations: list[Any]):
    """RFC 6902 shape of each operation, checked directly.

    A schema validator would walk every (possibly large) value, which costs seconds on archives
    with hundreds of patches.
    """
    for index, operation in enumerate(operations):
        kind = operation.get("op")
        if kind not in _PATCH_OPERATIONS:
            yield f"$[{index}].op", f"unknown JSON patch operation {kind!r}"
        elif not isinstance(operation.get("path"), str):
            yield f"$[{index}].path", "the path must be a JSON pointer string"
        elif _PATCH_OPERATIONS[kind] and _PATCH_OPERATIONS[kind] not in operation:
            yield f"$[{index}]", f"a {kind!r} operation needs {_PATCH_OPERATIONS[kind]!r}"


def structural_problems(spec: dict[str, Any], unchanged_from: dict[str, Any] | None = None):
    """Duplicated names (which pyhf 0.7.6 silently accepts) and bin counts that do not line up.

    With `unchanged_from` (the already-checked workspace a copy-on-write patch was applied to),
    channels and samples that are still its very objects, with the same bin count, are skipped.
    """
    for kind in ("channels", "observations", "measurements"):
        entries = spec.get(kind) or []
        for name, count in Counter(entry.get("name") for entry in entries).items():
            if count > 1:
                yield f"$.{kind}", f"{kind[:-1]} name {name!r} appears {count} times"
    observed = {entry.get("name"): entry for entry in spec.get("observations") or []}
    checked = _CheckedParts(unchanged_from)
    for index, observation in enumerate(spec.get("observations") or []):
        if id(observation) not in checked.objects:
            yield from count_problems(f"$.observations[{index}].data", observation.get("data"))
    for channel_index, channel in enumerate(spec.get("channels") or []):
        observation = observed.get(channel.get("name"))
        if id(channel) in checked.objects and id(observation) in checked.objects:
            continue
        yield from _channel_problems(f"$.channels[{channel_index}]", channel, observation, checked)


def count_problems(path: str, counts: Any, reported: int = 3):
    """Observed counts of a Poisson channel are events: non-negative integers.

    pyhf evaluates any real number (a negative fraction gives a finite −2 ln L), so only this
    check tells a corrupted observation from a real one.
    """
    bad = 0
    for index, value in enumerate(counts if isinstance(counts, list) else []):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if value < 0 or not float(value).is_integer():
            yield f"{path}[{index}]", f"observed count {value!r} is not a non-negative integer"
            bad += 1
            if bad == reported:
                return


class _CheckedParts:
    """Identities of the channels, observations and samples of a workspace already checked."""

    def __init__(self, workspace: dict[str, Any] | None):
        self.objects: set[int] = set()
        self.sample_bins: dict[int, int] = {}
        for observation in (workspace or {}).get("observations") or []:
            self.objects.add(id(observation))
        for channel in (workspace or {}).get("channels") or []:
            samples = channel.get("samples") or []
            self.objects.add(id(channel))
            bins = len(samples[0].get("data") or []) if samples else 0
            self.sample_bins.update((id(sample), bins) for sample in samples)


def _channel_problems(
    path: str, channel: dict[str, Any], observation: dict[str, Any] | None, checked: _CheckedParts
):
    samples = channel.get("samples") or []
    for name, count in Counter(sample.get("name") for sample in samples).items():
        if count > 1:
            yield (
                f"{path}.samples",
                f"sample {name!r} appears {count} times in channel {channel.get('name')!r}",
            )
    if not samples:
        return
    bins = len(samples[0].get("data") or [])
    if observation is not None and len(observation.get("data") or []) != bins:
        yield (
            path,
            f"channel {channel.get('name')!r} has {bins} bins but its observation has "
            f"{len(observation.get('data') or [])}",
        )
    for sample_index, sample in enumerate(samples):
        if checked.sample_bins.get(id(sample)) == bins:
            continue
        sample_path = f"{path}.samples[{sample_index}]"
        modifiers = Counter(
            (modifier.get("name"), modifier.get("type")) for modifier in sample.get("modifiers") or []
        )
        for (name, kind), count in modifiers.items():
            if count > 1:
                yield (
                    f"{sample_path}.modifiers",
                    f"{kind} modifier {name!r} appears {count} times on sample {sample.get('name')!r}",
                )
        yield from _bin_count_problems(sample_path, sample, bins)


def _bin_count_problems(path: str, sample: dict[str, Any], bins: int):
    if len(sample.get("data") or []) != bins:
        yield (
            f"{path}.data",
            f"sample {sample.get('name')!r} has {len(sample.get('data') or [])} bins, its channel {bins}",
        )
    for modifier_index, modifier in enumerate(sample.get("modifiers") or []):
        data = modifier.get("data")
        if modifier.get("type") == "histosys" and isinstance(data, dict):
            arrays = {"hi_data": data.get("hi_data"), "lo_data": data.get("lo_data")}
        elif modifier.get("type") in ("shapesys", "staterror"):
            arrays = {"data": data}
        else:
            continue
        for key, array in arrays.items():
            if isinstance(array, list) and len(array) != bins:
                yield (
                    f"{path}.modifiers[{modifier_index}].data",
                    f"{modifier.get('type')} {modifier.get('name')!r} {key} has {len(array)} bins, the sample {bins}",
                )


def _check_hs3(
    document: ModelFile, context: Context, errors: list[dict[str, str]], warnings: list[dict[str, str]]
) -> None:
    try:
        guard_hs3_size(document.document, context.limits)
    except ModelBuildError as exc:
        errors.append(_finding(document, "$.distributions", str(exc)))
        return
    for index, data in enumerate(document.document.get("data") or []):
        if isinstance(data, dict) and data.get("type") == "binned":
            errors.extend(
                _finding(document, path, message)
                for path, message in count_problems(f"$.data[{index}].contents", data.get("contents"))
            )
    try:
        import pydantic

        from ..pyhs3_import import import_pyhs3

        pyhs3 = import_pyhs3()
        pyhs3.Workspace(**document.document)
        return
    except pydantic.ValidationError as exc:
        findings = [
            _finding(
                document,
                _json_path(document.document, error["loc"]),
                f"pyhs3 {pyhs3.__version__}: {error['msg']}",
            )
            for error in exc.errors()
        ]
    except Exception as exc:
        findings = [_finding(document, "$", f"pyhs3 cannot read the document: {type(exc).__name__}: {exc}")]
    from ..engines.hs3_to_pyhf import UnsupportedHS3Error, hs3_to_pyhf

    try:
        hs3_to_pyhf(document.document)
    except (UnsupportedHS3Error, KeyError, TypeError, ValueError) as exc:
        errors.extend(findings)
        errors.append(_finding(document, "$", f"no other engine reads it either (pyhf translation: {exc})"))
        return
    for finding in findings:
        finding["message"] += "; the document is still evaluated with pyhf (translated) and ROOT"
    warnings.extend(findings)


def _json_path(document: Any, location: tuple[Any, ...]) -> str:
    """A pydantic error location as a JSON path, without the union tags pydantic inserts."""
    path, node = "$", document
    for part in location:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path, node = f"{path}[{part}]", node[part]
        elif isinstance(node, dict) and part in node:
            path, node = f"{path}.{part}", node[part]
    return path
