"""Numerical stability: finite −2 ln L and gradients, and no jumps under tiny perturbations.

Gradients are central finite differences so that every engine is treated alike; large models
get them for the POI and a fixed, spread-out subset of parameters.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..context import Context, ModelBuildError
from ..engines.base import LikelihoodEngine, ParameterError
from ..report import CheckResult, CheckStatus

RELATIVE_STEP = 1e-6
PERTURBATION = 1e-6
MAX_GRADIENT_PARAMETERS = 100
ALLOWED_JUMP_ABSOLUTE = 1e-2
ALLOWED_JUMP_RELATIVE = 1e-3


def check_stability(context: Context) -> CheckResult:
    """−2 ln L and its gradient must be finite, and smooth under tiny perturbations, at every point."""
    try:
        primary = context.primary()
        if primary is None:
            return CheckResult("stability", CheckStatus.SKIPPED, "no workspace or HS3 model to evaluate")
        engine = context.reference_engine()
    except ModelBuildError as exc:
        return CheckResult("stability", CheckStatus.FAILED, f"the model cannot be evaluated: {exc}")
    points = [("suggested initial values", engine.initial_vector())]
    for point in context.metadata.reference_points:
        try:
            points.append((point.label, engine.vector(point.parameters)))
        except ParameterError:
            continue
    probed = _probed_parameters(engine)
    rng = np.random.default_rng(20261123)
    results = [_probe(engine, label, vector, probed, rng) for label, vector in points]
    details = {
        "engine": f"{engine.name} {engine.version}",
        "model": primary.label,
        "model_notes": primary.notes,
        "gradient_parameters": [engine.parameters[index].name for index in probed],
        "points": results,
    }
    unstable = [entry for entry in results if entry["problems"]]
    if unstable:
        first = unstable[0]
        return CheckResult(
            "stability", CheckStatus.FAILED, f"{first['label']}: {'; '.join(first['problems'][:3])}", details
        )
    return CheckResult(
        "stability",
        CheckStatus.PASSED,
        f"finite values and gradients, smooth under perturbation at {len(results)} point(s)",
        details,
    )


def _probed_parameters(engine: LikelihoodEngine) -> list[int]:
    free = [index for index, parameter in enumerate(engine.parameters) if not parameter.fixed]
    if len(free) <= MAX_GRADIENT_PARAMETERS:
        return free
    pois = [index for index in free if engine.parameters[index].poi]
    others = [index for index in free if index not in pois]
    stride = math.ceil(len(others) / (MAX_GRADIENT_PARAMETERS - len(pois)))
    return pois + others[::stride]


def _probe(
    engine: LikelihoodEngine, label: str, vector: np.ndarray, probed: list[int], rng: Any
) -> dict[str, Any]:
    problems = []
    value = engine.evaluate_vector(vector)
    entry: dict[str, Any] = {"label": label, "twice_nll": value}
    if not math.isfinite(value):
        entry["problems"] = [f"−2 ln L is {value}"]
        return entry
    gradient = {}
    for index in probed:
        step = RELATIVE_STEP * max(1.0, abs(vector[index]))
        upper, lower = vector.copy(), vector.copy()
        upper[index] += step
        lower[index] -= step
        gradient[engine.parameters[index].name] = (
            engine.evaluate_vector(upper) - engine.evaluate_vector(lower)
        ) / (2 * step)
    non_finite = [name for name, component in gradient.items() if not math.isfinite(component)]
    if non_finite:
        problems.append(f"gradient not finite for {', '.join(non_finite[:5])}")
    shift = np.zeros_like(vector)
    shift[probed] = (
        PERTURBATION * np.maximum(1.0, np.abs(vector[probed])) * rng.choice([-1.0, 1.0], size=len(probed))
    )
    perturbed = engine.evaluate_vector(vector + shift)
    jump = abs(perturbed - value)
    allowed = ALLOWED_JUMP_ABSOLUTE + ALLOWED_JUMP_RELATIVE * abs(value)
    if not math.isfinite(jump) or jump > allowed:
        problems.append(
            f"a relative perturbation of {PERTURBATION:g} changes −2 ln L by {jump:.3g} (allowed {allowed:.3g})"
        )
    finite_gradient = [abs(component) for component in gradient.values() if math.isfinite(component)]
    entry.update(
        gradient_norm=float(np.linalg.norm(finite_gradient)) if finite_gradient else None,
        largest_gradient=max(gradient, key=lambda name: abs(gradient[name])) if gradient else None,
        perturbation_change=jump,
        problems=problems,
    )
    return entry
