"""Cross-engine consistency: pyhf, pyhs3 and ROOT agree on the same model.

Engines may differ by a constant (RooFit drops normalisation terms), so what is compared is
−2Δ ln L = −2 ln L(point) − (−2 ln L(reference start)), at the same named parameter values.
"""

from __future__ import annotations

from typing import Any

from ..context import Context, ModelBuildError
from ..engines.base import LikelihoodEngine
from ..report import CheckResult, CheckStatus

RTOL = 1e-6
ATOL = 1e-6
NUISANCE_SHIFT = 0.1
CONVENTION_ENGINES = ("pyhf", "pyhs3")


def check_cross_engine(context: Context) -> CheckResult:
    try:
        names = context.engine_names()
    except ModelBuildError as exc:
        return CheckResult("cross_engine", CheckStatus.FAILED, f"no model to compare: {exc}")
    if not names:
        return CheckResult("cross_engine", CheckStatus.SKIPPED, "no workspace or HS3 model to evaluate")
    if len(names) < 2:
        return CheckResult(
            "cross_engine",
            CheckStatus.SKIPPED,
            "only pyhf reads pyhf JSON; the cross-engine comparison runs on HS3 submissions",
        )
    engines: dict[str, LikelihoodEngine] = {}
    unavailable: dict[str, str] = {}
    for name in names:
        context.progress(f"cross-engine: building {name}")
        try:
            engines[name] = context.engine(name)
        except ModelBuildError as exc:
            unavailable[name] = str(exc)
    details: dict[str, Any] = {
        "engines": {name: f"{engine.name} {engine.version}" for name, engine in engines.items()},
        "unavailable": unavailable,
        "rtol": RTOL,
        "atol": ATOL,
    }
    if len(engines) < 2:
        return CheckResult(
            "cross_engine",
            CheckStatus.WARNING,
            f"fewer than two engines can evaluate the model: {'; '.join(unavailable.values())}",
            details,
        )
    reference = next((engine for name, engine in engines.items() if name != "root"), next(iter(engines.values())))
    common = [
        name for name in reference.parameter_names() if all(name in e.parameter_names() for e in engines.values())
    ]
    start = {name: value for name, value in reference.values_of(reference.initial_vector()).items() if name in common}
    points = _comparison_points(context, reference, start, common)
    rows, disagreements, convention_breaks = [], [], []
    for label, point in points:
        deltas = {}
        for name, engine in engines.items():
            deltas[name] = engine.twice_nll(point) - engine.twice_nll(start)
        reference_delta = deltas[reference.name]
        row = {"label": label, "parameters": point, "delta_twice_nll": deltas}
        rows.append(row)
        for name, delta in deltas.items():
            if not abs(delta - reference_delta) <= ATOL + RTOL * abs(reference_delta):
                message = f"{label}: {name} −2Δ ln L = {delta!r}, {reference.name} {reference_delta!r}"
                disagreements.append(message)
                if name in CONVENTION_ENGINES and reference.name in CONVENTION_ENGINES:
                    convention_breaks.append(message)
    details.update(common_parameters=common, start=start, points=rows, disagreements=disagreements)
    missing = f"; not available: {', '.join(f'{n} ({r})' for n, r in unavailable.items())}" if unavailable else ""
    if convention_breaks:
        return CheckResult(
            "cross_engine",
            CheckStatus.FAILED,
            f"pyhf and pyhs3 disagree at {len(convention_breaks)} point(s); first: {convention_breaks[0]}{missing}",
            details,
        )
    if disagreements:
        return CheckResult(
            "cross_engine",
            CheckStatus.WARNING,
            f"ROOT reads the model differently from the reference engines at {len(disagreements)} point(s); "
            f"first: {disagreements[0]}; a curator must decide which reading the authors meant{missing}",
            details,
        )
    return CheckResult(
        "cross_engine",
        CheckStatus.PASSED,
        f"{' and '.join(engines)} agree on −2Δ ln L at {len(rows)} point(s){missing}",
        details,
    )


def _comparison_points(
    context: Context, reference: LikelihoodEngine, start: dict[str, float], common: list[str]
) -> list[tuple[str, dict[str, float]]]:
    """Declared reference points, then the POI moved by one unit, then all nuisances shifted."""
    points = []
    for point in context.metadata.reference_points:
        if all(name in common for name in point.parameters):
            values = dict(start)
            values.update(
                {name: float(value) for name, value in point.parameters.items() if not isinstance(value, list)}
            )
            points.append((point.label, values))
    parameters = {parameter.name: parameter for parameter in reference.parameters}
    poi = reference.poi
    if poi in start:
        moved = dict(start)
        moved[poi] = min(start[poi] + 1.0, parameters[poi].upper)
        points.append((f"{poi} + 1", moved))
    shifted = dict(start)
    for name in common:
        parameter = parameters[name]
        if name != poi and not parameter.fixed:
            shifted[name] = min(start[name] + NUISANCE_SHIFT, parameter.upper)
    points.append((f"nuisance parameters + {NUISANCE_SHIFT}", shifted))
    return points
