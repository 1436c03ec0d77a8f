"""The DEMOS metadata a validation needs: checksums, reference points, expected outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 0.0


class MetadataError(ValueError):
    """The metadata itself is malformed, so the checks it drives cannot run."""


@dataclass
class Tolerance:
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL

    def allows(self, measured: float, expected: float) -> bool:
        return math.isfinite(measured) and abs(measured - expected) <= self.atol + self.rtol * abs(expected)


@dataclass
class ReferencePoint:
    """−2 ln L expected at a parameter point; parameters not named keep their suggested initial value."""

    parameters: dict[str, Any]
    expected: float
    tolerance: Tolerance
    label: str


@dataclass
class ExpectedOutputs:
    best_fit: dict[str, float] = field(default_factory=dict)
    twice_nll_at_best_fit: float | None = None
    upper_limit: float | None = None
    upper_limit_cls: float = 0.05
    tolerance: Tolerance = field(default_factory=lambda: Tolerance(rtol=1e-3, atol=1e-3))

    @property
    def declared(self) -> bool:
        return bool(self.best_fit) or self.twice_nll_at_best_fit is not None or self.upper_limit is not None


@dataclass
class ModelSelection:
    """Which document (and optional patch) the reference points and expected outputs refer to."""

    model: str | None = None
    patch: str | None = None
    measurement: str | None = None


@dataclass
class ValidationMetadata:
    checksums: dict[str, str] = field(default_factory=dict)
    reference_points: list[ReferencePoint] = field(default_factory=list)
    expected_outputs: ExpectedOutputs = field(default_factory=ExpectedOutputs)
    selection: ModelSelection = field(default_factory=ModelSelection)
    engine: str | None = None
    format: str | None = None


def parse_metadata(raw: dict[str, Any] | list[Any] | None) -> ValidationMetadata:
    """Accept the full metadata dict, or a bare list of reference points."""
    if raw is None:
        return ValidationMetadata()
    if isinstance(raw, list):
        raw = {"reference_points": raw}
    if not isinstance(raw, dict):
        raise MetadataError("metadata must be a JSON object or a list of reference points")
    defaults = raw.get("tolerances") or {}
    default_tolerance = Tolerance(
        rtol=_number(defaults.get("rtol", DEFAULT_RTOL), "tolerances.rtol"),
        atol=_number(defaults.get("atol", DEFAULT_ATOL), "tolerances.atol"),
    )
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
    )


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetadataError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _checksums(raw: dict[str, str] | list[dict[str, str]]) -> dict[str, str]:
    if isinstance(raw, list):
        raw = {entry.get("file") or entry.get("key"): entry.get("sha256") or entry.get("checksum") for entry in raw}
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
        parameters=parameters,
        expected=_number(raw["expected"], f"{where}.expected"),
        tolerance=Tolerance(
            rtol=_number(raw.get("rtol", default.rtol), f"{where}.rtol"),
            atol=_number(raw.get("atol", default.atol), f"{where}.atol"),
        ),
        label=str(raw.get("label") or f"point {index}"),
    )


def _expected_outputs(raw: dict[str, Any]) -> ExpectedOutputs:
    outputs = ExpectedOutputs()
    if "best_fit" in raw:
        outputs.best_fit = {
            name: _number(value, f"expected_outputs.best_fit.{name}") for name, value in raw["best_fit"].items()
        }
    if "twice_nll_at_best_fit" in raw:
        outputs.twice_nll_at_best_fit = _number(raw["twice_nll_at_best_fit"], "expected_outputs.twice_nll_at_best_fit")
    if "upper_limit" in raw:
        outputs.upper_limit = _number(raw["upper_limit"], "expected_outputs.upper_limit")
        outputs.upper_limit_cls = _number(raw.get("upper_limit_cls", 0.05), "expected_outputs.upper_limit_cls")
    outputs.tolerance = Tolerance(
        rtol=_number(raw.get("rtol", outputs.tolerance.rtol), "expected_outputs.rtol"),
        atol=_number(raw.get("atol", outputs.tolerance.atol), "expected_outputs.atol"),
    )
    return outputs
