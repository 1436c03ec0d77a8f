"""Signal points: every patch of a workspace built and evaluated, not only the one selected.

Reinterpretation reuses a full likelihood as CLs per signal point; a point whose CLs is not a
number (CLb → 0 when the signal is negligible, a fit that fails) would otherwise be published
unnoticed. Each point gets −2 ln L at the suggested initial values and pyhf's `hypotest` at
μ = 1 (qtilde, asymptotics, observed CLs and the expected ±1σ/±2σ band); a point declared with
published results is compared with them.

Points are numbered in a fixed order, so that any subset can be evaluated in its own sandbox
(`evaluate_points`) and the rows merged (`merge_point_rows`) to the same result however the
points were chunked.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import formats
from ..context import Context, PatchCandidate, guard_pyhf_size
from ..metadata import PatchExpectation, Tolerance
from ..patching import PatchConflict, apply_patch
from ..point_results import (
    BAND,
    FLAGGED,
    MISMATCH,
    OK,
    TEST,
    deferred_result,
    not_evaluated_row,
    point_result,
)
from ..report import CheckResult

TEST_POI_VALUE = TEST["poi_value"]


@dataclass
class SignalPoint:
    """One patch with its workspace and its coordinates on the signal grid."""

    index: int
    name: str
    candidate: PatchCandidate
    coordinates: dict[str, Any] = field(default_factory=dict)


def signal_points(context: Context) -> list[SignalPoint]:
    """Every patch that has a workspace, in submission order: the numbering chunks refer to."""
    pattern = _pattern_regex(context.metadata.patch_points.pattern)
    grids: dict[int, dict[str, dict[str, Any]]] = {}
    points = []
    for candidate in context.patch_candidates():
        if candidate.base is None:
            continue
        if candidate.container.format == formats.PYHF_PATCHSET:
            container = candidate.container
            if id(container) not in grids:
                grids[id(container)] = _patchset_grid(container.document)
            name = candidate.label.rsplit("#", 1)[-1]
            coordinates = grids[id(container)].get(name, {})
        else:
            name = os.path.basename(candidate.label.rsplit("!", 1)[-1])
            coordinates = _coordinates_from_name(name, pattern)
        points.append(SignalPoint(len(points), name, candidate, coordinates))
    return points


def _patchset_grid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Patch name → {label: value} from a patchset's `labels` and each patch's `values`."""
    labels = (document.get("metadata") or {}).get("labels")
    grid = {}
    for patch in document.get("patches") or []:
        metadata = patch.get("metadata") if isinstance(patch, dict) else None
        if not isinstance(metadata, dict):
            continue
        values = metadata.get("values")
        if isinstance(labels, list) and isinstance(values, list) and len(labels) == len(values):
            grid[metadata.get("name", "?")] = {
                str(label): value for label, value in zip(labels, values, strict=True)
            }
    return grid


def _pattern_regex(pattern: str | None) -> re.Pattern[str] | None:
    """`patch.sbottom_{m_sb}_{m_N2}.json` → a regex with one named group per field."""
    if not pattern:
        return None
    parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", pattern)
    regex = "".join(
        re.escape(part) if number % 2 == 0 else f"(?P<{part}>[^/]+?)" for number, part in enumerate(parts)
    )
    return re.compile(regex)


def _coordinates_from_name(name: str, pattern: re.Pattern[str] | None) -> dict[str, Any]:
    match = pattern.fullmatch(name) if pattern else None
    return {key: _number_or_text(value) for key, value in match.groupdict().items()} if match else {}


def _number_or_text(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def evaluate_point(context: Context, point: SignalPoint) -> dict[str, Any]:
    """Build the patched model and evaluate it; every problem becomes a flag with its reason."""
    import pyhf

    candidate = point.candidate
    row: dict[str, Any] = {
        "index": point.index,
        "name": point.name,
        "workspace": candidate.base.name,
        "coordinates": point.coordinates,
        "twice_nll_init": None,
        "cls_obs": None,
        "cls_exp": None,
        "status": OK,
        "flags": [],
    }
    try:
        patched = apply_patch(candidate.base.document, candidate.operations)
        guard_pyhf_size(patched, context.limits)
        workspace = pyhf.Workspace(patched, validate=False)
        model = workspace.model(measurement_name=context.metadata.selection.measurement, validate=False)
        data = workspace.data(model)
    except PatchConflict as exc:
        return _flag(row, f"the patch does not apply: {exc}")
    except Exception as exc:
        return _flag(row, f"the patched model cannot be built: {type(exc).__name__}: {exc}")
    if model.config.poi_index is None:
        return _flag(row, "the patched model has no parameter of interest")
    init = model.config.suggested_init()
    try:
        row["twice_nll_init"] = _finite(float(-2.0 * model.logpdf(init, data)[0]), row, "−2 ln L at init")
    except Exception as exc:
        _flag(row, f"−2 ln L cannot be evaluated: {type(exc).__name__}: {exc}")
    try:
        observed, expected = pyhf.infer.hypotest(
            TEST_POI_VALUE,
            data,
            model,
            test_stat="qtilde",
            calctype="asymptotics",
            return_expected_set=True,
        )
    except Exception as exc:
        return _flag(row, f"the fit fails: {type(exc).__name__}: {exc}")
    row["cls_obs"] = _finite(
        float(observed), row, "observed CLs", hint=" (CLb → 0: the signal is negligible)"
    )
    band = [float(value) for value in expected]
    if all(math.isfinite(value) for value in band):
        row["cls_exp"] = band
    else:
        _flag(row, "the expected CLs band is not finite")
    expectation = _expectation_for(context, point)
    if expectation is not None:
        _compare_with_published(row, expectation, context.metadata.expected_outputs.tolerance, data, model)
    return row


def _finite(value: float, row: dict[str, Any], quantity: str, hint: str = "") -> float | None:
    if math.isfinite(value):
        return value
    _flag(row, f"{quantity} is {value}{hint if math.isnan(value) else ''}")
    return None


def _flag(row: dict[str, Any], reason: str) -> dict[str, Any]:
    row["flags"].append(reason)
    if row["status"] == OK:
        row["status"] = FLAGGED
    return row


def _expectation_for(context: Context, point: SignalPoint) -> PatchExpectation | None:
    """Published results are looked up by patch name, with or without `patch.` and `.json`."""
    per_patch = context.metadata.expected_outputs.per_patch
    stem = point.name.removesuffix(".json").removeprefix("patch.")
    for key in (point.name, stem, point.candidate.label, f"{point.candidate.base.name}#{point.name}"):
        if key in per_patch:
            return per_patch[key]
    return None


def _compare_with_published(
    row: dict[str, Any], expectation: PatchExpectation, tolerance: Tolerance, data: Any, model: Any
) -> None:
    import pyhf

    comparisons = []
    if expectation.cls_obs is not None:
        comparisons.append(_comparison("cls_obs", row["cls_obs"], expectation.cls_obs, tolerance))
    if expectation.cls_exp is not None:
        for label, measured, expected in zip(
            BAND, row["cls_exp"] or [None] * len(BAND), expectation.cls_exp, strict=True
        ):
            comparisons.append(_comparison(f"cls_exp.{label}", measured, expected, tolerance))
    if expectation.upper_limit is not None:
        try:
            limit, _band = pyhf.infer.intervals.upper_limits.upper_limit(data, model, scan=None, level=0.05)
            row["upper_limit"] = float(limit)
        except Exception as exc:
            _flag(row, f"the upper limit cannot be found: {type(exc).__name__}: {exc}")
        comparisons.append(
            _comparison("upper_limit", row.get("upper_limit"), expectation.upper_limit, tolerance)
        )
    row["comparisons"] = comparisons
    off = [entry for entry in comparisons if not entry["passed"]]
    if off:
        row["status"] = MISMATCH
        row["flags"].append(
            "differs from the published value: "
            + ", ".join(f"{entry['quantity']} {entry['measured']!r} ≠ {entry['expected']!r}" for entry in off)
        )


def _comparison(
    quantity: str, measured: float | None, expected: float, tolerance: Tolerance
) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "measured": measured,
        "expected": expected,
        "passed": measured is not None and tolerance.allows(measured, expected),
    }


def evaluate_points(context: Context, indices: list[int] | None = None) -> Iterator[dict[str, Any]]:
    """Rows of the selected points (all if None), in index order, each as soon as it exists."""
    points = signal_points(context)
    wanted = range(len(points)) if indices is None else sorted(set(indices))
    for number, point_index in enumerate(wanted):
        if not 0 <= point_index < len(points):
            yield not_evaluated_row(point_index, f"no signal point {point_index} ({len(points)} points)")
            continue
        if number % 10 == 0:
            context.progress(f"signal points: {number} of {len(wanted)}")
        yield evaluate_point(context, points[point_index])


def check_patch_points(context: Context, inline_limit: int | None) -> CheckResult:
    """All points in this run, unless there are more than `inline_limit` (None: no limit)."""
    total = len(signal_points(context))
    if total == 0:
        return point_result([])
    if inline_limit is not None and total > inline_limit:
        return deferred_result(total, inline_limit)
    rows = list(evaluate_points(context))
    context.point_rows = rows
    return point_result(rows)
