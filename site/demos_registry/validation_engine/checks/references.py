"""Reference points and expected outputs: the model reproduces the numbers its authors published."""

from __future__ import annotations

import math
from typing import Any

from ..context import Context, ModelBuildError
from ..engines.base import ParameterError
from ..report import TWICE_NLL_CONVENTION, CheckResult, CheckStatus


def check_reference_points(context: Context) -> CheckResult:
    """−2 ln L at each declared reference point must match the published value within its tolerance."""
    points = context.metadata.reference_points
    if not points:
        return CheckResult(
            "reference_points",
            CheckStatus.WARNING,
            "no reference points declared: nothing ties the model to published numbers",
        )
    try:
        engine = context.reference_engine()
        primary = context.primary()
    except ModelBuildError as exc:
        return CheckResult("reference_points", CheckStatus.FAILED, f"the model cannot be evaluated: {exc}")
    results = []
    for point in points:
        entry: dict[str, Any] = {
            "label": point.label,
            "parameters": point.parameters,
            "expected": point.expected,
            "rtol": point.tolerance.rtol,
            "atol": point.tolerance.atol,
        }
        try:
            measured = engine.twice_nll(point.parameters)
        except ParameterError as exc:
            entry.update(measured=None, passed=False, reason=f"{point.where}.parameters: {exc}")
            results.append(entry)
            continue
        difference = measured - point.expected
        entry.update(
            measured=measured,
            difference=difference,
            relative_difference=difference / point.expected if point.expected else None,
            passed=point.tolerance.allows(measured, point.expected),
        )
        if not math.isfinite(measured):
            entry["reason"] = f"−2 ln L is {measured} at {point.where}.parameters"
        results.append(entry)
    details = {
        "engine": f"{engine.name} {engine.version}",
        "model": primary.label,
        "model_notes": primary.notes,
        "convention": TWICE_NLL_CONVENTION,
        "points": results,
    }
    failed = [entry for entry in results if not entry["passed"]]
    if failed:
        first = failed[0]
        why = first.get("reason") or (
            f"−2 ln L = {first['measured']!r}, expected {first['expected']!r} "
            f"(|difference| {abs(first['difference']):.3g} > atol {first['atol']} + rtol {first['rtol']}·|expected|)"
        )
        return CheckResult(
            "reference_points",
            CheckStatus.FAILED,
            f"{len(failed)}/{len(results)} point(s) off; {first['label']}: {why}",
            details,
        )
    return CheckResult(
        "reference_points",
        CheckStatus.PASSED,
        f"{len(results)} point(s) reproduced by {engine.name} within tolerance",
        details,
    )


def check_expected_outputs(context: Context) -> CheckResult:
    """A pyhf fit must reproduce the declared best-fit values, −2 ln L there and the CLs upper limit."""
    outputs = context.metadata.expected_outputs
    if not outputs.declared:
        return CheckResult("expected_outputs", CheckStatus.SKIPPED, "no expected outputs declared")
    try:
        engine = context.engine("pyhf")
    except ModelBuildError as exc:
        return CheckResult("expected_outputs", CheckStatus.FAILED, f"the model cannot be fitted: {exc}")
    comparisons = []
    tolerance = outputs.tolerance
    if outputs.best_fit or outputs.twice_nll_at_best_fit is not None:
        context.progress("expected outputs: maximum-likelihood fit")
        try:
            best_fit, twice_nll = engine.fit()
        except Exception as exc:
            return CheckResult(
                "expected_outputs", CheckStatus.FAILED, f"the fit fails: {type(exc).__name__}: {exc}"
            )
        for name, expected in outputs.best_fit.items():
            measured = best_fit.get(name)
            comparisons.append(_compare(f"best_fit.{name}", measured, expected, tolerance))
        if outputs.twice_nll_at_best_fit is not None:
            comparisons.append(
                _compare("twice_nll_at_best_fit", twice_nll, outputs.twice_nll_at_best_fit, tolerance)
            )
    if outputs.upper_limit is not None:
        context.progress("expected outputs: CLs upper limit")
        try:
            limit = engine.upper_limit(outputs.upper_limit_cls)
        except Exception as exc:
            comparisons.append(
                {"quantity": "upper_limit", "passed": False, "reason": f"{type(exc).__name__}: {exc}"}
            )
        else:
            comparisons.append(_compare("upper_limit", limit, outputs.upper_limit, tolerance))
    details = {"engine": f"{engine.name} {engine.version}", "comparisons": comparisons}
    failed = [entry for entry in comparisons if not entry["passed"]]
    if failed:
        first = failed[0]
        return CheckResult(
            "expected_outputs",
            CheckStatus.FAILED,
            f"{first['quantity']}: measured {first.get('measured')!r}, expected {first.get('expected')!r}"
            + (f" ({first['reason']})" if first.get("reason") else ""),
            details,
        )
    return CheckResult(
        "expected_outputs", CheckStatus.PASSED, f"{len(comparisons)} declared output(s) reproduced", details
    )


def _compare(quantity: str, measured: float | None, expected: float, tolerance: Any) -> dict[str, Any]:
    if measured is None:
        return {
            "quantity": quantity,
            "expected": expected,
            "measured": None,
            "passed": False,
            "reason": "not a parameter of the model",
        }
    return {
        "quantity": quantity,
        "expected": expected,
        "measured": measured,
        "rtol": tolerance.rtol,
        "atol": tolerance.atol,
        "passed": tolerance.allows(measured, expected),
    }
