"""Property tests: random valid workspaces, exact and shifted reference values, and mutations.

Seeded and derandomised, so every run checks the same examples; the pipeline runs in-process
(the sandbox is tested in test_sandbox.py) to afford hundreds of examples in about a minute. A
failing example that hypothesis shrinks is to be added to test_false_passes.py.
"""

import json
import math
import tempfile
from collections import Counter
from pathlib import Path

from generated_models import (
    MUTATIONS,
    bases,
    failure_reasons,
    model_and_data,
    points,
    twice_nll,
    validate_in_process,
    workspaces,
)
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from demos_registry.validation_engine.engines.pyhf_to_hs3 import pyhf_to_hs3

MUTANTS_PER_RUN = 500
PYHS3_SAFE_TWICE_NLL = 1000.0
SHIFT = 1e-4
PROPERTY_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(PROPERTY_SETTINGS, max_examples=25)
@given(st.data())
def test_exact_values_pass_and_values_off_by_1e_minus_4_fail(data):
    spec = data.draw(workspaces())
    model, observed = model_and_data(spec)
    chosen = [data.draw(points(model)) for _ in range(2)]
    exact = [twice_nll(model, observed, point) for point in chosen]
    assume(all(math.isfinite(value) for value in exact))
    signs = [data.draw(st.sampled_from([-1, 1])) for _ in chosen]
    reference_points = [{"parameters": p, "expected": value} for p, value in zip(chosen, exact, strict=True)]
    reference_points += [
        {"parameters": p, "expected": value * (1 + sign * SHIFT)}
        for p, value, sign in zip(chosen, exact, signs, strict=True)
    ]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "workspace.json"
        path.write_text(json.dumps(spec))
        report = validate_in_process(
            [path], {"reference_points": reference_points}, ["validate_schema", "reference_points"]
        )
    check = report.check("reference_points")
    assert report.check("schema").status.value == "passed", report.to_markdown()
    assert [point["passed"] for point in check.details["points"]] == [True, True, False, False], (
        report.to_markdown()
    )


@settings(PROPERTY_SETTINGS, max_examples=3, phases=[Phase.explicit, Phase.generate])
@given(st.data())
def test_hs3_translation_evaluated_by_pyhs3_agrees_with_bare_pyhf(data):
    """The same workspace as HS3: pyhs3, the reference engine for HS3, reproduces bare pyhf's values.

    Below −2 ln L = 1000 only: pyhs3 0.4.2 returns inf above ~1400 (its likelihood underflows),
    which test_pyhs3_underflow_is_reported_as_a_non_finite_value_of_pyhs3 covers. Building a
    pyhs3 model takes seconds, so this test does not shrink.
    """
    spec = data.draw(workspaces(staterror=False))
    model, observed = model_and_data(spec)
    document, aliases = pyhf_to_hs3(model, spec, list(observed[: model.config.nmaindata]))
    reference_points = []
    for _ in range(2):
        point = data.draw(points(model))
        hs3_point = {}
        for name, value in point.items():
            if isinstance(value, list):
                hs3_point.update({aliases[f"{name}[{i}]"]: component for i, component in enumerate(value)})
            else:
                hs3_point[aliases.get(name, name)] = value
        reference_points.append({"parameters": hs3_point, "expected": twice_nll(model, observed, point)})
    assume(all(point["expected"] < PYHS3_SAFE_TWICE_NLL for point in reference_points))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model_hs3.json"
        path.write_text(json.dumps(document))
        report = validate_in_process([path], {"reference_points": reference_points}, ["reference_points"])
    check = report.check("reference_points")
    assert check.details["engine"].startswith("pyhs3"), report.to_markdown()
    assert check.status.value == "passed", report.to_markdown()


def test_pyhs3_underflow_is_reported_as_a_non_finite_value_of_pyhs3(tmp_path):
    """The shrunk example where pyhs3 0.4.2 gives inf and bare pyhf 1659.7: named, not a reading difference."""
    spec = {
        "channels": [
            {
                "name": "channel0",
                "samples": [
                    {
                        "name": "sample0",
                        "data": [28.613, 1.0, 27.844, 2.0, 61.224, 42.768, 94.63, 1.9, 71.811, 1.5],
                        "modifiers": [
                            {"name": "mu", "type": "normfactor", "data": None},
                            {"name": "norm0", "type": "normsys", "data": {"hi": 1.013, "lo": 0.987}},
                        ],
                    }
                ],
            }
        ],
        "observations": [{"name": "channel0", "data": [0.0] * 7 + [147.0, 0.0, 0.0]}],
        "measurements": [{"name": "measurement", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(spec))
    report = validate_in_process([path], None, ["cross_engine"])
    check = report.check("cross_engine")
    assert check.status.value == "warning"
    assert "pyhs3 gives a non-finite −2 ln L (inf)" in check.reason


def test_pyhf_submission_with_staterror_reports_why_pyhs3_does_not_take_part(tmp_path):
    """pyhs3 0.4.2 builds staterror only in Barlow-Beeston-full form: an explained skip, not a pass."""
    spec = {
        "channels": [
            {
                "name": "c",
                "samples": [
                    {
                        "name": "s",
                        "data": [5.0, 6.0],
                        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
                    },
                    {
                        "name": "b",
                        "data": [50.0, 60.0],
                        "modifiers": [{"name": "se", "type": "staterror", "data": [3.0, 4.0]}],
                    },
                ],
            }
        ],
        "observations": [{"name": "c", "data": [52.0, 61.0]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(spec))
    report = validate_in_process([path], None, ["cross_engine"])
    check = report.check("cross_engine")
    assert check.status.value == "skipped"
    assert "pyhs3 cannot evaluate an HS3 translation" in check.reason and "StatError" in check.reason


def test_mutations_never_pass():
    """Each mutation of a valid submission fails, naming the path or field, over ≥ 500 mutants."""
    outcomes = Counter()

    @settings(PROPERTY_SETTINGS, max_examples=math.ceil(MUTANTS_PER_RUN / len(MUTATIONS)) + 2)
    @given(st.data())
    def mutants_fail(data):
        base = data.draw(bases())
        assume(all(math.isfinite(point["expected"]) for point in base.metadata["reference_points"]))
        for mutation in MUTATIONS:
            mutant = mutation(data.draw, base)
            with tempfile.TemporaryDirectory() as directory:
                report = validate_in_process(
                    mutant.write(directory), mutant.metadata, mutant.checks, mutant.limits
                )
            assert report.status.value == "failed", f"{mutant.kind} passed:\n{report.to_markdown()}"
            assert mutant.where in failure_reasons(report), f"{mutant.kind}: {mutant.where} not named"
            outcomes[mutant.kind] += 1

    mutants_fail()
    assert sum(outcomes.values()) >= MUTANTS_PER_RUN, outcomes
    assert len(outcomes) == len(MUTATIONS)
