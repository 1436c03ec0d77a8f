"""Inputs a careless engine passes: each one fails a check whose reason names the path or field.

Every test here passed (or ended needs_review without a reason) before issue 19. Most run the
pipeline in-process (the same checks as the sandboxed worker); those about the command line or
the unpacking limits go through the sandbox.
"""

import copy
import gzip
import json
import math

import pytest
from generated_models import validate_in_process
from validation_helpers import twice_nll

from demos_registry.validation_engine import (
    CheckStatus,
    OverallStatus,
    ResourceLimits,
    ValidationOptions,
    validate,
)
from demos_registry.validation_engine.checks.cross_engine import check_cross_engine
from demos_registry.validation_engine.cli import main
from demos_registry.validation_engine.context import Context
from demos_registry.validation_engine.engines.base import LikelihoodEngine
from demos_registry.validation_engine.inputs import load_submission
from demos_registry.validation_engine.limits import MIB
from demos_registry.validation_engine.metadata import ValidationMetadata

CHECKS = ["validate_schema", "reference_points", "expected_outputs"]


@pytest.fixture(scope="module")
def spec(models_dir):
    return json.loads((models_dir / "pyhf" / "2-bin_1-channel.json").read_text())


@pytest.fixture(scope="module")
def metadata(spec):
    import pyhf

    workspace = pyhf.Workspace(spec)
    model = workspace.model()
    data = workspace.data(model)
    points = [{"mu": 1.0}, {"mu": 0.5, "uncorr_bkguncrt": [1.05, 0.95]}]
    return {"reference_points": [{"parameters": p, "expected": twice_nll(model, data, p)} for p in points]}


def submit(tmp_path, files, metadata, checks=CHECKS, limits=None):
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
        paths.append(path)
    return validate_in_process(paths, metadata, checks, limits)


def assert_fails_naming(report, where):
    assert report.status == OverallStatus.FAILED, report.to_markdown()
    reasons = " | ".join(check.reason for check in report.checks if check.status == CheckStatus.FAILED)
    assert where in reasons


def test_the_unmodified_submission_passes(tmp_path, spec, metadata):
    report = submit(tmp_path, {"model.json": spec}, metadata)
    assert report.status == OverallStatus.PASSED, report.to_markdown()


def test_expected_value_overflowing_to_infinity_fails(tmp_path, spec, metadata):
    """`1e400` is inf to a JSON parser, and |25.17 − inf| ≤ rtol·inf held."""
    text = json.dumps(metadata).replace(repr(metadata["reference_points"][0]["expected"]), "1e400")
    report = submit(tmp_path, {"model.json": spec}, json.loads(text))
    assert_fails_naming(report, "reference_points[0].expected: expected a finite number, got inf")


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ({"point": "rtol"}, "reference_points[1].rtol"),
        ({"point": "atol"}, "reference_points[1].atol"),
        ({"default": "rtol"}, "tolerances.rtol"),
        ({"default": "atol"}, "tolerances.atol"),
    ],
)
def test_infinite_tolerance_fails(tmp_path, spec, metadata, field, where):
    changed = copy.deepcopy(metadata)
    changed["reference_points"][1]["expected"] *= 1.5
    if "point" in field:
        changed["reference_points"][1][field["point"]] = math.inf
    else:
        changed["tolerances"] = {field["default"]: math.inf}
    report = submit(tmp_path, {"model.json": spec}, changed)
    assert_fails_naming(report, f"{where}: expected a finite number, got inf")


@pytest.mark.parametrize(
    ("name", "value", "where"),
    [
        ("rtol", 0.5, "reference_points[1].rtol: 0.5 is outside [0, 0.1]"),
        ("rtol", -1e-6, "reference_points[1].rtol: -1e-06 is outside [0, 0.1]"),
        ("atol", 1e6, "reference_points[1].atol: 1000000.0 is outside [0, 1.0]"),
    ],
)
def test_tolerance_that_makes_the_check_meaningless_is_refused(tmp_path, spec, metadata, name, value, where):
    changed = copy.deepcopy(metadata)
    changed["reference_points"][1]["expected"] *= 1.2
    changed["reference_points"][1][name] = value
    report = submit(tmp_path, {"model.json": spec}, changed)
    assert_fails_naming(report, where)


def test_expected_outputs_tolerance_is_bounded_too(tmp_path, spec, metadata):
    changed = {**metadata, "expected_outputs": {"upper_limit": 1.0, "rtol": 2.0}}
    report = submit(tmp_path, {"model.json": spec}, changed)
    assert_fails_naming(report, "expected_outputs.rtol: 2.0 is outside [0, 0.1]")


@pytest.mark.parametrize(
    ("literal", "path"),
    [
        ("1e400", "$.channels[0].samples[1].data[1]"),
        ("-1e400", "$.observations[0].data[0]"),
        ("9" * 400, "$.channels[0].samples[0].data[0]"),
    ],
)
def test_model_number_overflowing_to_infinity_fails(tmp_path, spec, metadata, literal, path):
    changed = copy.deepcopy(spec)
    target = {
        "$.channels[0].samples[1].data[1]": (changed["channels"][0]["samples"][1]["data"], 1),
        "$.observations[0].data[0]": (changed["observations"][0]["data"], 0),
        "$.channels[0].samples[0].data[0]": (changed["channels"][0]["samples"][0]["data"], 0),
    }[path]
    target[0][target[1]] = 424242.5
    text = json.dumps(changed).replace("424242.5", literal).encode()
    report = submit(tmp_path, {"model.json": text}, metadata)
    assert report.check("integrity").status == CheckStatus.FAILED
    assert_fails_naming(
        report, f"beyond the float range (such as 1e400), which a model must not hold: at {path}"
    )


def test_infinite_bound_in_the_measurement_fails(tmp_path, spec, metadata):
    changed = copy.deepcopy(spec)
    changed["measurements"][0]["config"]["parameters"] = [{"name": "mu", "bounds": [[0, 123.5]]}]
    text = json.dumps(changed).replace("123.5", "1e400").encode()
    report = submit(tmp_path, {"model.json": text}, metadata)
    assert_fails_naming(report, "$.measurements[0].config.parameters[0].bounds[0][1]")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1.05], "parameter 'uncorr_bkguncrt' is a vector of 2 components, the point gives 1 value(s)"),
        (
            [1.05, 0.95, 1.0],
            "parameter 'uncorr_bkguncrt' is a vector of 2 components, the point gives 3 value(s)",
        ),
    ],
)
def test_vector_parameter_with_the_wrong_number_of_components_is_refused(
    tmp_path, spec, metadata, values, message
):
    """Too few components used to keep the rest at their initial values; too many were refused."""
    import pyhf

    model = pyhf.Workspace(spec).model()
    data = pyhf.Workspace(spec).data(model)
    point = {"mu": 0.5, "uncorr_bkguncrt": values}
    as_the_engine_read_it = {"mu": 0.5, "uncorr_bkguncrt": [*values, 1.0][:2]}
    changed = {
        "reference_points": [{"parameters": point, "expected": twice_nll(model, data, as_the_engine_read_it)}]
    }
    report = submit(tmp_path, {"model.json": spec}, changed)
    assert_fails_naming(report, f"reference_points[0].parameters: {message}")


@pytest.mark.parametrize("count", [-0.5, -3, 2.5])
def test_negative_or_fractional_observed_count_fails(tmp_path, spec, count):
    """Pyhf's continuous Poisson evaluates them: a negative fraction gave a finite, matching −2 ln L."""
    import pyhf

    changed = copy.deepcopy(spec)
    changed["observations"][0]["data"][1] = count
    workspace = pyhf.Workspace(changed)
    model = workspace.model()
    expected = twice_nll(model, workspace.data(model), {"mu": 1.0})
    metadata = {
        "reference_points": [
            {"parameters": {"mu": 1.0}, "expected": expected if math.isfinite(expected) else 1.0}
        ]
    }
    report = submit(tmp_path, {"model.json": changed}, metadata)
    assert_fails_naming(
        report, f"$.observations[0].data[1]: observed count {count!r} is not a non-negative integer"
    )


def test_negative_observed_count_in_hs3_data_fails(tmp_path, models_dir):
    document = json.loads((models_dir / "hs3" / "simplemodel_uncorrelated-background_hs3.json").read_text())
    index = next(i for i, data in enumerate(document["data"]) if data.get("type") == "binned")
    document["data"][index]["contents"][0] = -51.0
    report = submit(tmp_path, {"model.json": document}, None, checks=["validate_schema"])
    assert_fails_naming(
        report, f"$.data[{index}].contents[0]: observed count -51.0 is not a non-negative integer"
    )


def test_repeated_key_fails(tmp_path, spec, metadata):
    """The first `data` of the background sample would be dropped silently by a JSON parser."""
    text = json.dumps(spec).replace('"data": [50.0, 60.0]', '"data": [5.0, 6.0], "data": [50.0, 60.0]', 1)
    assert json.loads(text) == spec
    report = submit(tmp_path, {"model.json": text.encode()}, metadata)
    assert_fails_naming(
        report, "keys repeated within one object (only the last would count): $.channels[0].samples[1].data"
    )


def test_lone_patch_fails(tmp_path, spec):
    patch = [{"op": "replace", "path": "/channels/0/samples/0/data", "value": [6.0, 11.0]}]
    report = submit(tmp_path, {"patch.json": patch}, None)
    assert_fails_naming(report, "no evaluable model: patch.json is a json-patch")


def test_file_named_json_that_is_not_json_fails_next_to_a_valid_model(tmp_path, spec, metadata):
    report = submit(tmp_path, {"model.json": spec, "notes.json": b"\x00\x01 garbage"}, metadata)
    assert_fails_naming(report, "notes.json: named .json but not a JSON object or array")


def test_cli_exits_1_for_a_submission_without_an_evaluable_model(tmp_path, capsys):
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps([{"op": "add", "path": "/a", "value": 1}]))
    assert main([str(patch), "--checks", "validate_schema", "--quiet"]) == 1
    assert "no evaluable model" in capsys.readouterr().out


def test_cli_exits_1_for_metadata_with_an_overflowing_number(tmp_path, models_dir, capsys):
    metadata = tmp_path / "metadata.json"
    metadata.write_text('{"reference_points": [{"parameters": {"mu": 1.0}, "expected": 1e400}]}')
    model = models_dir / "pyhf" / "2-bin_1-channel.json"
    code = main([str(model), "--metadata", str(metadata), "--checks", "reference_points", "--quiet"])
    assert code == 1
    assert "reference_points[0].expected: expected a finite number, got inf" in capsys.readouterr().out


@pytest.mark.parametrize("with_model", [False, True])
def test_gzip_bomb_names_the_unpacking_limit(tmp_path, spec, metadata, with_model):
    """Zeros are a valid, empty tar to a streaming reader: the bomb was 'no model found', or passed."""
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(bytes(64 * MIB), compresslevel=9))
    paths = [str(bomb)]
    if with_model:
        (tmp_path / "model.json").write_text(json.dumps(spec))
        paths.append(str(tmp_path / "model.json"))
    limits = ResourceLimits(max_file_bytes=32 * MIB, max_unpacked_bytes=32 * MIB)
    report = validate(paths, metadata, ValidationOptions(limits=limits, checks=CHECKS))
    assert_fails_naming(report, "bomb.json.gz: archive rejected: unpacks to more than the limit")


class NonFiniteEngine(LikelihoodEngine):
    """An engine that reads the model's parameters but evaluates to NaN (as a broken reading would)."""

    name = "pyhs3"

    def __init__(self, parameters):
        self.parameters = parameters

    def evaluate_vector(self, vector):
        return math.nan


def test_cross_engine_names_the_engine_that_gave_a_non_finite_value(models_dir, metadata):
    """It used to blame a reading difference of the HS3 translation."""
    submission = load_submission([str(models_dir / "pyhf" / "2-bin_1-channel.json")], ResourceLimits())
    context = Context(submission, ValidationMetadata(), ResourceLimits())
    context._engines["pyhs3"] = NonFiniteEngine(context.engine("pyhf").parameters)
    result = check_cross_engine(context)
    assert result.status == CheckStatus.WARNING
    assert "pyhs3 gives a non-finite −2 ln L (nan)" in result.reason
    assert "reading" not in result.reason
