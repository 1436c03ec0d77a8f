"""The DEMOS metadata a validation needs: checksums, reference points, expected outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 0.0
FIT_RTOL = 1e-3
FIT_ATOL = 1e-3
"""Fits (best-fit values, −2 ln L at the minimum, CLs limits) end where a minimiser stops, which
differs between minimisers and versions by ~1e-4 relative; a point evaluation is exact."""
MAX_RTOL = 0.1
MAX_ATOL = 1.0
"""Looser tolerances would let a changed model pass: one unit of −2 ln L is a 1σ shift."""


class MetadataError(ValueError):
    """The metadata itself is malformed, so the checks it drives cannot run."""


@dataclass
class Tolerance:
    """How far a measured value may lie from the published one: atol + rtol·|expected|."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL

    def allows(self, measured: float, expected: float) -> bool:
        """True if both values are finite and `measured` is within tolerance of `expected`."""
        return (
            math.isfinite(measured)
            and math.isfinite(expected)
            and abs(measured - expected) <= self.atol + self.rtol * abs(expected)
        )


@dataclass
class ReferencePoint:
    """−2 ln L expected at a parameter point; parameters not named keep their suggested initial value."""

    parameters: dict[str, Any]
    expected: float
    tolerance: Tolerance
    label: str
    where: str = "reference_points"
    """The point's place in the metadata, e.g. `reference_points[2]`, for reasons."""


@dataclass
class PatchExpectation:
    """What the authors published for one signal point: CLs at μ = 1 and/or the upper limit."""

    cls_obs: float | None = None
    cls_exp: list[float] | None = None
    upper_limit: float | None = None


@dataclass
class PatchPointsOptions:
    """How loose patch files name their point on the signal grid (patchsets carry labels).

    A file-name pattern such as ``patch.sbottom_{m_sb}_{m_N2}_{m_N1}.json``.
    """

    pattern: str | None = None


@dataclass
class ExpectedOutputs:
    """Fit results the authors published: best-fit values, −2 ln L there, a CLs upper limit."""

    best_fit: dict[str, float] = field(default_factory=dict)
    twice_nll_at_best_fit: float | None = None
    upper_limit: float | None = None
    upper_limit_cls: float = 0.05
    tolerance: Tolerance = field(default_factory=lambda: Tolerance(rtol=FIT_RTOL, atol=FIT_ATOL))
    per_patch: dict[str, PatchExpectation] = field(default_factory=dict)

    @property
    def declared(self) -> bool:
        """True if there is anything to compare a fit with."""
        return bool(self.best_fit) or self.twice_nll_at_best_fit is not None or self.upper_limit is not None


@dataclass
class ModelSelection:
    """Which document (and optional patch) the reference points and expected outputs refer to."""

    model: str | None = None
    patch: str | None = None
    measurement: str | None = None


@dataclass
class ValidationMetadata:
    """The part of the DEMOS metadata that drives the checks, parsed and type-checked."""

    checksums: dict[str, str] = field(default_factory=dict)
    reference_points: list[ReferencePoint] = field(default_factory=list)
    expected_outputs: ExpectedOutputs = field(default_factory=ExpectedOutputs)
    selection: ModelSelection = field(default_factory=ModelSelection)
    engine: str | None = None
    format: str | None = None
    patch_points: PatchPointsOptions = field(default_factory=PatchPointsOptions)


def parse_metadata(raw: dict[str, Any] | list[Any] | None) -> ValidationMetadata:
    """Accept the full metadata dict, or a bare list of reference points."""
    if raw is None:
        return ValidationMetadata()
    if isinstance(raw, list):
        raw = {"reference_points": raw}
    if not isinstance(raw, dict):
        raise MetadataError("metadata must be a JSON object or a list of reference points")
    defaults = _object(raw.get("tolerances") or {}, "tolerances")
    default_tolerance = _tolerance(defaults, Tolerance(), "tolerances")
    selection = raw.get("model") or {}
    if isinstance(selection, str):
        selection = {"file": selection}
    return ValidationMetadata(
        checksums=_checksums(raw.get("checksums") or {}),
        reference_points=[
            _reference_point(point, index, default_tolerance)
            for index, point in enumerate(raw.get("reference_points") or [])
        ],
        expected_outputs=_expected_outputs(raw.get("expected_outputs") or {}),
        selection=ModelSelection(
            model=selection.get("file") or selection.get("workspace"),
            patch=selection.get("patch"),
            measurement=selection.get("measurement"),
        ),
        engine=raw.get("engine"),
        format=raw.get("format"),
        patch_points=_patch_points(raw.get("patch_points") or {}),
    )


def _patch_points(raw: Any) -> PatchPointsOptions:
    if not isinstance(raw, dict):
        raise MetadataError("patch_points: expected an object")
    pattern = raw.get("pattern")
    if pattern is not None and (not isinstance(pattern, str) or "{" not in pattern):
        raise MetadataError(
            f"patch_points.pattern: expected a file-name pattern with {{fields}}, got {pattern!r}"
        )
    return PatchPointsOptions(pattern=pattern)


def _patch_expectation(raw: Any, where: str) -> PatchExpectation:
    if not isinstance(raw, dict):
        raise MetadataError(f"{where}: expected an object with cls_obs, cls_exp or upper_limit")
    expectation = PatchExpectation()
    if "cls_obs" in raw:
        expectation.cls_obs = _number(raw["cls_obs"], f"{where}.cls_obs")
    if "cls_exp" in raw:
        band = raw["cls_exp"]
        if not isinstance(band, list) or len(band) != 5:
            raise MetadataError(f"{where}.cls_exp: expected the five values of the band (-2σ … +2σ)")
        expectation.cls_exp = [_number(value, f"{where}.cls_exp") for value in band]
    if "upper_limit" in raw:
        expectation.upper_limit = _number(raw["upper_limit"], f"{where}.upper_limit")
    return expectation


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetadataError(f"{where}: expected a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise MetadataError(f"{where}: expected a finite number, got {value!r}")
    return number


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MetadataError(f"{where}: expected an object, got {value!r}")
    return value


def _tolerance(raw: dict[str, Any], default: Tolerance, where: str) -> Tolerance:
    """A tolerance that still tells a model from a changed one: 0 ≤ rtol ≤ 0.1, 0 ≤ atol ≤ 1."""
    tolerance = Tolerance(
        rtol=_number(raw.get("rtol", default.rtol), f"{where}.rtol"),
        atol=_number(raw.get("atol", default.atol), f"{where}.atol"),
    )
    for name, value, bound in (("rtol", tolerance.rtol, MAX_RTOL), ("atol", tolerance.atol, MAX_ATOL)):
        if not 0 <= value <= bound:
            raise MetadataError(
                f"{where}.{name}: {value!r} is outside [0, {bound}]; a looser tolerance would pass a changed model"
            )
    return tolerance


def _parameter_value(value: Any, where: str) -> float | list[float]:
    """A scalar, or the components of a vector parameter: finite numbers only."""
    if isinstance(value, list):
        if not value:
            raise MetadataError(f"{where}: an empty list gives no component")
        return [_number(item, f"{where}[{index}]") for index, item in enumerate(value)]
    return _number(value, where)


def _checksums(raw: dict[str, str] | list[dict[str, str]]) -> dict[str, str]:
    if isinstance(raw, list):
        raw = {
            entry.get("file") or entry.get("key"): entry.get("sha256") or entry.get("checksum")
            for entry in raw
        }
    checksums = {}
    for name, digest in raw.items():
        if not isinstance(name, str) or not isinstance(digest, str):
            raise MetadataError(f"checksums: bad entry {name!r}: {digest!r}")
        checksums[name] = digest.lower().removeprefix("sha256:")
    return checksums


def _reference_point(raw: Any, index: int, default: Tolerance) -> ReferencePoint:
    where = f"reference_points[{index}]"
    if not isinstance(raw, dict) or "expected" not in raw:
        raise MetadataError(f"{where}: needs 'parameters' and 'expected'")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise MetadataError(f"{where}.parameters: expected an object of name: value")
    return ReferencePoint(
        parameters={
            name: _parameter_value(value, f"{where}.parameters.{name}") for name, value in parameters.items()
        },
        expected=_number(raw["expected"], f"{where}.expected"),
        tolerance=_tolerance(raw, default, where),
        label=str(raw.get("label") or f"point {index}"),
        where=where,
    )


def _expected_outputs(raw: Any) -> ExpectedOutputs:
    raw = _object(raw, "expected_outputs")
    outputs = ExpectedOutputs()
    if "best_fit" in raw:
        outputs.best_fit = {
            name: _number(value, f"expected_outputs.best_fit.{name}")
            for name, value in _object(raw["best_fit"], "expected_outputs.best_fit").items()
        }
    if "twice_nll_at_best_fit" in raw:
        outputs.twice_nll_at_best_fit = _number(
            raw["twice_nll_at_best_fit"], "expected_outputs.twice_nll_at_best_fit"
        )
    if "upper_limit" in raw:
        outputs.upper_limit = _number(raw["upper_limit"], "expected_outputs.upper_limit")
        outputs.upper_limit_cls = _number(
            raw.get("upper_limit_cls", 0.05), "expected_outputs.upper_limit_cls"
        )
        if not 0 < outputs.upper_limit_cls < 1:
            raise MetadataError(
                f"expected_outputs.upper_limit_cls: {outputs.upper_limit_cls!r} is not a CLs level in (0, 1)"
            )
    per_patch = raw.get("per_patch") or {}
    if not isinstance(per_patch, dict):
        raise MetadataError("expected_outputs.per_patch: expected an object of patch name: results")
    outputs.per_patch = {
        str(name): _patch_expectation(value, f"expected_outputs.per_patch.{name}")
        for name, value in per_patch.items()
    }
    outputs.tolerance = _tolerance(raw, outputs.tolerance, "expected_outputs")
    return outputs
