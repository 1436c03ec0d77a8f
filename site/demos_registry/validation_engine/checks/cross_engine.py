"""Cross-engine consistency: pyhf, pyhs3 and ROOT agree on the same model.

HS3 submissions are read by pyhs3, by ROOT and (translated) by pyhf; pyhf submissions by pyhf
and, translated to HS3, by pyhs3. Engines may differ by a constant (RooFit drops normalisation
terms), so what is compared is −2Δ ln L = −2 ln L(point) − (−2 ln L(start)) at the same named
parameter values. Only a disagreement between pyhf and pyhs3 on the authors' own file fails the
check; one that involves ROOT or a translation is a warning for a curator. An engine that gives
a non-finite −2 ln L is named as such: that is no reading difference.
"""

from __future__ import annotations

import math
from typing import Any

from .. import formats
from ..context import Context, EngineNotApplicable, ModelBuildError
from ..engines.base import LikelihoodEngine
from ..report import CheckResult, CheckStatus

RTOL = 1e-6
ATOL = 1e-6
NUISANCE_SHIFT = 0.1
CONVENTION_ENGINES = ("pyhf", "pyhs3")


def check_cross_engine(context: Context) -> CheckResult:
    """Evaluate the model in every engine that reads it; their −2Δ ln L must agree point by point."""
    try:
        primary = context.primary()
        names = context.engine_names()
    except ModelBuildError as exc:
        return CheckResult("cross_engine", CheckStatus.FAILED, f"no model to compare: {exc}")
    if primary is None:
        return CheckResult("cross_engine", CheckStatus.SKIPPED, "no workspace or HS3 model to evaluate")
    engines: dict[str, LikelihoodEngine] = {}
    unavailable: dict[str, str] = {}
    not_applicable = set()
    for name in names:
        context.progress(f"cross-engine: building {name}")
        try:
            engines[name] = context.engine(name)
        except ModelBuildError as exc:
            unavailable[name] = str(exc)
            if isinstance(exc, EngineNotApplicable):
                not_applicable.add(name)
    translated = primary.source.format != formats.HS3
    details: dict[str, Any] = {
        "engines": {name: f"{engine.name} {engine.version}" for name, engine in engines.items()},
        "unavailable": unavailable,
        "pyhs3_reads_a_translation": translated,
        "rtol": RTOL,
        "atol": ATOL,
    }
    if len(engines) < 2:
        status = CheckStatus.SKIPPED if set(unavailable) <= not_applicable else CheckStatus.WARNING
        reason = f"fewer than two engines can evaluate the model: {'; '.join(unavailable.values())}"
        return CheckResult("cross_engine", status, reason, details)
    reference = next(
        (engine for name, engine in engines.items() if name != "root"), next(iter(engines.values()))
    )
    common = [
        name
        for name in reference.parameter_names()
        if all(name in e.parameter_names() for e in engines.values())
    ]
    start = {
        name: value
        for name, value in reference.values_of(reference.initial_vector()).items()
        if name in common
    }
    rows, disagreements, convention_breaks, non_finite = _compare(
        engines, reference, start, _comparison_points(context, reference, start, common)
    )
    details.update(
        common_parameters=common, start=start, points=rows, disagreements=disagreements, non_finite=non_finite
    )
    missing = (
        f"; not available: {', '.join(f'{n} ({r})' for n, r in unavailable.items())}" if unavailable else ""
    )
    if non_finite:
        failing = [
            message
            for name, message in non_finite
            if name == reference.name or (not translated and name in CONVENTION_ENGINES)
        ]
        return CheckResult(
            "cross_engine",
            CheckStatus.FAILED if failing else CheckStatus.WARNING,
            f"{len(non_finite)} non-finite value(s); first: {(failing or [m for _, m in non_finite])[0]}"
            + ("" if failing else "; a curator must decide whether the model or that engine is at fault")
            + missing,
            details,
        )
    if convention_breaks and not translated:
        return CheckResult(
            "cross_engine",
            CheckStatus.FAILED,
            f"pyhf and pyhs3 disagree at {len(convention_breaks)} point(s); first: {convention_breaks[0]}{missing}",
            details,
        )
    if disagreements:
        reading = (
            "pyhs3, reading an HS3 translation of the workspace, differs from pyhf"
            if translated
            else "ROOT reads the model differently from the reference engines"
        )
        return CheckResult(
            "cross_engine",
            CheckStatus.WARNING,
            f"{reading} at {len(disagreements)} point(s); first: {disagreements[0]}; "
            f"a curator must decide which reading the authors meant{missing}",
            details,
        )
    return CheckResult(
        "cross_engine",
        CheckStatus.PASSED,
        f"{' and '.join(engines)} agree on −2Δ ln L at {len(rows)} point(s){missing}",
        details,
    )


def _compare(
    engines: dict[str, LikelihoodEngine],
    reference: LikelihoodEngine,
    start: dict[str, float],
    points: list[tuple[str, dict[str, float]]],
) -> tuple[list[dict[str, Any]], list[str], list[str], list[tuple[str, str]]]:
    """Rows of −2Δ ln L per engine, and the disagreements, those between pyhf and pyhs3 among them.

    An engine giving a non-finite −2 ln L is listed apart, as (engine, message), never as a disagreement.
    """
    rows, disagreements, convention_breaks, non_finite = [], [], [], []
    baselines = {name: engine.twice_nll(start) for name, engine in engines.items()}
    for name, value in baselines.items():
        if not math.isfinite(value):
            non_finite.append((name, f"{name} gives a non-finite −2 ln L ({value!r}) at the start point"))
    for label, point in points:
        values = {name: engine.twice_nll(point) for name, engine in engines.items()}
        deltas = {name: values[name] - baselines[name] for name in engines}
        reference_delta = deltas[reference.name]
        rows.append({"label": label, "parameters": point, "delta_twice_nll": deltas})
        for name, delta in deltas.items():
            if not math.isfinite(values[name]):
                non_finite.append((name, f"{label}: {name} gives a non-finite −2 ln L ({values[name]!r})"))
            elif not abs(delta - reference_delta) <= ATOL + RTOL * abs(reference_delta):
                message = f"{label}: {name} −2Δ ln L = {delta!r}, {reference.name} {reference_delta!r}"
                disagreements.append(message)
                if name in CONVENTION_ENGINES and reference.name in CONVENTION_ENGINES:
                    convention_breaks.append(message)
    return rows, disagreements, convention_breaks, non_finite


def _comparison_points(
    context: Context, reference: LikelihoodEngine, start: dict[str, float], common: list[str]
) -> list[tuple[str, dict[str, float]]]:
    """Declared reference points, then the POI moved by one unit, then all nuisances shifted."""
    points = []
    for point in context.metadata.reference_points:
        if all(name in common for name in point.parameters):
            values = dict(start)
            values.update(
                {
                    name: float(value)
                    for name, value in point.parameters.items()
                    if not isinstance(value, list)
                }
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
