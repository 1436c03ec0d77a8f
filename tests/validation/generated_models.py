"""Random valid pyhf workspaces and mutations of them, for the property tests (a plain module).

A workspace has 1–3 channels of 1–10 bins and 1–4 samples, with normfactor (the POI `mu`),
normsys, histosys, shapesys, staterror and lumi modifiers. Reference values come from bare pyhf.
Each mutation returns the files and metadata of a broken submission and `where`: the path or
field the engine's failure reason must name.
"""

import copy
import gzip
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pyhf
from hypothesis import strategies as st

from demos_registry.validation_engine.api import report_from_run
from demos_registry.validation_engine.isolation import WorkerRun
from demos_registry.validation_engine.limits import ResourceLimits
from demos_registry.validation_engine.pipeline import run_pipeline
from demos_registry.validation_engine.steps import selected_checks

WORKSPACE_FILE = "workspace.json"
SENTINEL = 123456.789
"""A number no generated workspace holds: replaced in the JSON text by the literal under test."""
FAILING_CHECKS = ["integrity", "schema", "reference_points"]
"""The checks that can fail a mutation of a model file. A run of fewer checks fails only if the
full run does: checks not run can add failures or warnings, never take one away."""
METADATA_CHECKS = ["reference_points"]
"""Enough for a mutation of the metadata alone: the metadata itself is checked before any check."""


def validate_in_process(paths, metadata=None, checks=None, limits=None):
    """The engine's pipeline in this process (no sandbox): the same checks, fast enough for hundreds."""
    limits = limits or ResourceLimits()
    chosen = selected_checks(checks)
    run = WorkerRun(finished=True)
    job = {
        "paths": [str(path) for path in paths],
        "metadata": metadata,
        "checks": chosen,
        "limits": limits.to_dict(),
        "inline_patch_points": 0,
    }
    run_pipeline(job, run.events.append)
    return report_from_run(run, chosen, limits)


def failure_reasons(report):
    return " | ".join(check.reason for check in report.checks if check.status.value == "failed")


@st.composite
def workspaces(draw, staterror=True, channels=3, samples=4, bins=10):
    """A valid pyhf workspace spec of at most that many channels, samples and bins.

    `staterror=False` for one pyhs3 can evaluate too.
    """
    most_samples, most_bins = samples, bins
    channels_drawn = draw(st.integers(1, channels))
    channels, observations = [], []
    uses_lumi = False
    kinds = ["normsys", "histosys", "shapesys", "lumi"] + (["staterror"] if staterror else [])
    for channel_index in range(channels_drawn):
        bins = draw(st.integers(1, most_bins))
        samples = []
        for sample_index in range(draw(st.integers(1, most_samples))):
            data = [
                round(value, 3) for value in draw(st.lists(st.floats(1, 100), min_size=bins, max_size=bins))
            ]
            modifiers = []
            if sample_index == 0 and (channel_index == 0 or draw(st.booleans())):
                modifiers.append({"name": "mu", "type": "normfactor", "data": None})
            for kind in draw(st.lists(st.sampled_from(kinds), unique=True, max_size=3)):
                modifiers.append(_modifier(draw, kind, data, channel_index, sample_index))
                uses_lumi |= kind == "lumi"
            samples.append({"name": f"sample{sample_index}", "data": data, "modifiers": modifiers})
        name = f"channel{channel_index}"
        channels.append({"name": name, "samples": samples})
        observed = draw(st.lists(st.integers(0, 150), min_size=bins, max_size=bins))
        observations.append({"name": name, "data": [float(count) for count in observed]})
    parameters = []
    if uses_lumi:
        parameters.append(
            {"name": "lumi", "auxdata": [1.0], "sigmas": [0.02], "bounds": [[0.5, 1.5]], "inits": [1.0]}
        )
    return {
        "channels": channels,
        "observations": observations,
        "measurements": [{"name": "measurement", "config": {"poi": "mu", "parameters": parameters}}],
        "version": "1.0.0",
    }


def _modifier(draw, kind, data, channel_index, sample_index):
    fraction = draw(st.floats(0.01, 0.3))
    if kind == "normsys":
        name = f"norm{draw(st.integers(0, 2))}"
        return {
            "name": name,
            "type": kind,
            "data": {"hi": round(1 + fraction, 3), "lo": round(1 - fraction, 3)},
        }
    if kind == "histosys":
        name = f"shape{draw(st.integers(0, 1))}"
        hi = [round(value * (1 + fraction), 3) for value in data]
        lo = [round(value * (1 - fraction), 3) for value in data]
        return {"name": name, "type": kind, "data": {"hi_data": hi, "lo_data": lo}}
    if kind == "shapesys":
        name = f"shapesys_c{channel_index}_s{sample_index}"
        return {"name": name, "type": kind, "data": [round(value * fraction, 3) for value in data]}
    if kind == "staterror":
        name = f"staterror_c{channel_index}"
        return {"name": name, "type": kind, "data": [round(value * fraction, 3) for value in data]}
    return {"name": "lumi", "type": "lumi", "data": None}


def model_and_data(spec):
    """Bare pyhf's model, without its schema validation: generated specs are valid by construction."""
    workspace = pyhf.Workspace(spec, validate=False)
    model = workspace.model()
    return model, workspace.data(model)


def parameter_ranges(model):
    """Values a point may take per parameter: within bounds and where −2 ln L stays finite."""
    ranges = {}
    for name in model.config.par_order:
        size = model.config.param_set(name).n_parameters
        kind = dict(model.config.modifiers).get(name)
        if name == "mu":
            low, high = 0.1, 3.0
        elif kind in ("normsys", "histosys"):
            low, high = -2.0, 2.0
        elif name == "lumi":
            low, high = 0.9, 1.1
        else:
            low, high = 0.5, 1.5
        ranges[name] = (size, low, high)
    return ranges


@st.composite
def points(draw, model):
    """A parameter point naming every parameter (vectors as lists), rounded to short decimals."""
    point = {}
    for name, (size, low, high) in parameter_ranges(model).items():
        values = [round(draw(st.floats(low, high)), 4) for _ in range(size)]
        point[name] = values if size > 1 else values[0]
    return point


def twice_nll(model, data, point):
    """−2 ln L with bare pyhf; vectors as lists, missing parameters at their suggested init."""
    pars = list(model.config.suggested_init())
    for name, value in point.items():
        where = model.config.par_slice(name)
        values = value if isinstance(value, list) else [value]
        pars[where.start : where.start + len(values)] = values
    return float(-2 * model.logpdf(pars, data)[0])


@dataclass
class Base:
    """A valid submission: workspace, metadata with exact reference values, the model it builds."""

    spec: dict
    metadata: dict
    model: object
    data: list


@dataclass
class Mutant:
    """A broken submission and what the failure reason must name."""

    kind: str
    files: dict
    metadata: dict | None
    where: str
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    checks: list = field(default_factory=lambda: FAILING_CHECKS)

    def write(self, directory):
        paths = []
        for name, content in self.files.items():
            path = Path(directory) / name
            path.write_bytes(content)
            paths.append(path)
        return paths


@st.composite
def bases(draw):
    """Smaller workspaces than the property tests' (2 channels, 3 samples, 6 bins): 500 mutants a run."""
    spec = draw(workspaces(channels=2, samples=3, bins=6))
    model, data = model_and_data(spec)
    reference_points = []
    for _ in range(2):
        point = draw(points(model))
        reference_points.append({"parameters": point, "expected": twice_nll(model, data, point)})
    return Base(spec, {"reference_points": reference_points}, model, data)


def workspace_bytes(spec):
    return json.dumps(spec).encode()


def numeric_leaves(spec):
    """(JSON path, container, key) of every number in sample, modifier and observation data."""
    leaves = []
    for c, channel in enumerate(spec["channels"]):
        for s, sample in enumerate(channel["samples"]):
            path = f"$.channels[{c}].samples[{s}]"
            leaves += [(f"{path}.data[{i}]", sample["data"], i) for i in range(len(sample["data"]))]
            for m, modifier in enumerate(sample["modifiers"]):
                data = modifier["data"]
                where = f"{path}.modifiers[{m}].data"
                if isinstance(data, list):
                    leaves += [(f"{where}[{i}]", data, i) for i in range(len(data))]
                elif isinstance(data, dict) and "hi" in data:
                    leaves += [(f"{where}.{key}", data, key) for key in ("hi", "lo")]
                elif isinstance(data, dict):
                    leaves += [
                        (f"{where}.hi_data[{i}]", data["hi_data"], i) for i in range(len(data["hi_data"]))
                    ]
    for o, observation in enumerate(spec["observations"]):
        leaves += [
            (f"$.observations[{o}].data[{i}]", observation["data"], i)
            for i in range(len(observation["data"]))
        ]
    return leaves


def _metadata_with(base, change):
    metadata = copy.deepcopy(base.metadata)
    change(metadata)
    return metadata


def mutate_expected_overflow(draw, base):
    index = draw(st.integers(0, 1))
    value = draw(st.sampled_from([math.inf, -math.inf, math.nan]))

    def change(metadata):
        metadata["reference_points"][index]["expected"] = value

    return Mutant(
        "expected not finite",
        {WORKSPACE_FILE: workspace_bytes(base.spec)},
        _metadata_with(base, change),
        f"reference_points[{index}].expected",
        checks=METADATA_CHECKS,
    )


def mutate_tolerance(draw, base):
    """Infinite, NaN, negative or meaningless tolerances, per point or as the default."""
    name = draw(st.sampled_from(["rtol", "atol"]))
    value = draw(
        st.sampled_from([math.inf, math.nan, -1e-6, -1.0, 0.5, 2.0, 1e3, 1e300])
        if name == "rtol"
        else st.sampled_from([math.inf, math.nan, -1e-6, 5.0, 1e6, 1e300])
    )
    per_point = draw(st.booleans())
    index = draw(st.integers(0, 1))

    def change(metadata):
        if per_point:
            metadata["reference_points"][index][name] = value
        else:
            metadata["tolerances"] = {name: value}

    where = f"reference_points[{index}].{name}" if per_point else f"tolerances.{name}"
    return Mutant(
        "tolerance",
        {WORKSPACE_FILE: workspace_bytes(base.spec)},
        _metadata_with(base, change),
        where,
        checks=METADATA_CHECKS,
    )


def _with_literal(spec, leaf_path, literal):
    """The workspace's JSON text with the number at `leaf_path` written as `literal`."""
    mutated = copy.deepcopy(spec)
    for path, container, key in numeric_leaves(mutated):
        if path == leaf_path:
            container[key] = SENTINEL
    return json.dumps(mutated).replace(repr(SENTINEL), literal).encode()


def mutate_model_number(draw, base):
    """A number in the model that JSON parsers turn into infinity or NaN."""
    path = draw(st.sampled_from([leaf for leaf, _, _ in numeric_leaves(base.spec)]))
    literal = draw(st.sampled_from(["1e400", "-1e400", "1E999", "Infinity", "-Infinity", "NaN", "9" * 400]))
    return Mutant(
        "model number not finite",
        {WORKSPACE_FILE: _with_literal(base.spec, path, literal)},
        base.metadata,
        path,
    )


def mutate_vector_length(draw, base):
    """A vector parameter given too few or too many components, a scalar given as a list.

    The expected value is the one bare pyhf gives with the missing components at their init, as
    an author who wrote the short list may well have computed it.
    """
    ranges = parameter_ranges(base.model)
    name = draw(st.sampled_from(sorted(ranges)))
    size = ranges[name][0]
    index = draw(st.integers(0, 1))
    point = copy.deepcopy(base.metadata["reference_points"][index]["parameters"])
    values = point[name] if isinstance(point[name], list) else [point[name]]
    if size > 1 and draw(st.booleans()):
        point[name] = values[: draw(st.integers(1, size - 1))]
    else:
        point[name] = values + [1.0] * draw(st.integers(1, 2))
    expected = twice_nll(base.model, base.data, {**point, name: point[name][:size]})

    def change(metadata):
        metadata["reference_points"][index] = {"parameters": point, "expected": expected}

    return Mutant(
        "vector length",
        {WORKSPACE_FILE: workspace_bytes(base.spec)},
        _metadata_with(base, change),
        f"reference_points[{index}].parameters",
        checks=METADATA_CHECKS,
    )


def _expected_for(base, spec):
    """Metadata whose values bare pyhf gives for the mutated spec (when it gives finite ones)."""
    try:
        model, data = model_and_data(spec)
    except Exception:
        return base.metadata
    metadata = copy.deepcopy(base.metadata)
    for entry in metadata["reference_points"]:
        value = twice_nll(model, data, entry["parameters"])
        if math.isfinite(value):
            entry["expected"] = value
    return metadata


def mutate_observed_count(draw, base):
    spec = copy.deepcopy(base.spec)
    channel = draw(st.integers(0, len(spec["observations"]) - 1))
    data = spec["observations"][channel]["data"]
    index = draw(st.integers(0, len(data) - 1))
    data[index] = draw(st.sampled_from([-1.0, -3.0, -0.5, 0.5, 12.25, -7.75]))
    return Mutant(
        "observed count",
        {WORKSPACE_FILE: workspace_bytes(spec)},
        _expected_for(base, spec),
        f"$.observations[{channel}].data[{index}]",
    )


def mutate_duplicate_key(draw, base):
    """A key written twice in one object; the last one (what a JSON parser keeps) is consistent."""
    spec = copy.deepcopy(base.spec)
    c = draw(st.integers(0, len(spec["channels"]) - 1))
    s = draw(st.integers(0, len(spec["channels"][c]["samples"]) - 1))
    target, key, path = draw(
        st.sampled_from(
            [
                (spec["channels"][c]["samples"][s], "data", f"$.channels[{c}].samples[{s}].data"),
                (spec["channels"][c]["samples"][s], "name", f"$.channels[{c}].samples[{s}].name"),
                (spec, "observations", "$.observations"),
                (spec["measurements"][0]["config"], "poi", "$.measurements[0].config.poi"),
            ]
        )
    )
    first = copy.deepcopy(target[key])
    if key == "data":
        first = [value * 2 for value in first]
    elif key == "observations":
        first = [{**entry, "data": [value + 1 for value in entry["data"]]} for entry in first]
    elif key == "name":
        first = "another_name"
    else:
        first = "another_poi"
    placeholder = "__repeated_key__"
    rebuilt = {placeholder: first, **target}
    target.clear()
    target.update(rebuilt)
    text = json.dumps(spec).replace(json.dumps(placeholder), json.dumps(key))
    del target[placeholder]
    assert json.loads(text) == spec
    return Mutant("duplicate key", {WORKSPACE_FILE: text.encode()}, base.metadata, path)


def mutate_no_evaluable_model(draw, base):
    """A lone JSON patch, or a file named .json that is not JSON next to the valid workspace."""
    if draw(st.booleans()):
        patch = [
            {
                "op": "replace",
                "path": "/channels/0/samples/0/data",
                "value": base.spec["channels"][0]["samples"][0]["data"],
            }
        ]
        return Mutant(
            "no evaluable model", {"patch.json": json.dumps(patch).encode()}, base.metadata, "patch.json"
        )
    junk = draw(
        st.binary(min_size=0, max_size=64).filter(
            lambda raw: raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"[")
        )
    )
    files = {WORKSPACE_FILE: workspace_bytes(base.spec), "notes.json": junk}
    return Mutant("no evaluable model", files, base.metadata, "notes.json")


def mutate_gzip_bomb(draw, base):
    """A gzip of zeros (a valid empty tar to a streaming reader), alone or next to the workspace."""
    limits = ResourceLimits(max_file_bytes=2 * 1024 * 1024, max_unpacked_bytes=2 * 1024 * 1024)
    files = {"bomb.json.gz": gzip.compress(bytes(3 * 1024 * 1024))}
    if draw(st.booleans()):
        files[WORKSPACE_FILE] = workspace_bytes(base.spec)
    return Mutant("gzip bomb", files, base.metadata, "unpacks to more than the limit", limits)


def mutate_wrong_length(draw, base):
    spec = copy.deepcopy(base.spec)
    c = draw(st.integers(0, len(spec["channels"]) - 1))
    s = draw(st.integers(0, len(spec["channels"][c]["samples"]) - 1))
    sample = spec["channels"][c]["samples"][s]
    arrays = [sample["data"], spec["observations"][c]["data"]]
    for modifier in sample["modifiers"]:
        if modifier["type"] in ("shapesys", "staterror"):
            arrays.append(modifier["data"])
        elif modifier["type"] == "histosys":
            arrays.append(modifier["data"]["hi_data"])
    array = draw(st.sampled_from(arrays))
    if len(array) > 1 and draw(st.booleans()):
        array.pop()
    else:
        array.append(array[-1])
    return Mutant("wrong length", {WORKSPACE_FILE: workspace_bytes(spec)}, base.metadata, f"$.channels[{c}]")


def mutate_modifier_type(draw, base):
    spec = copy.deepcopy(base.spec)
    candidates = [
        (c, s, m)
        for c, channel in enumerate(spec["channels"])
        for s, sample in enumerate(channel["samples"])
        for m in range(len(sample["modifiers"]))
    ]
    c, s, m = draw(st.sampled_from(candidates))
    spec["channels"][c]["samples"][s]["modifiers"][m]["type"] = draw(
        st.sampled_from(["foosys", "shapesys2", "NormSys", ""])
    )
    return Mutant(
        "unknown modifier type",
        {WORKSPACE_FILE: workspace_bytes(spec)},
        base.metadata,
        f"$.channels[{c}].samples[{s}].modifiers[{m}]",
    )


def mutate_renamed_parameter(draw, base):
    """A parameter renamed in the workspace while the metadata still names the old one."""
    spec = copy.deepcopy(base.spec)
    old = draw(st.sampled_from(sorted(base.model.config.par_order)))
    new = f"{old}_renamed"
    for channel in spec["channels"]:
        for sample in channel["samples"]:
            for modifier in sample["modifiers"]:
                if modifier["name"] == old:
                    modifier["name"] = new
    for config in spec["measurements"][0]["config"]["parameters"]:
        if config["name"] == old:
            config["name"] = new
    return Mutant("renamed parameter", {WORKSPACE_FILE: workspace_bytes(spec)}, base.metadata, repr(old))


def mutate_nan_in_metadata(draw, base):
    ranges = parameter_ranges(base.model)
    name = draw(st.sampled_from(sorted(ranges)))
    index = draw(st.integers(0, 1))
    value = draw(st.sampled_from([math.nan, math.inf, -math.inf]))

    def change(metadata):
        point = metadata["reference_points"][index]["parameters"]
        point[name] = [value] * ranges[name][0] if isinstance(point[name], list) else value

    return Mutant(
        "parameter value not finite",
        {WORKSPACE_FILE: workspace_bytes(base.spec)},
        _metadata_with(base, change),
        f"reference_points[{index}].parameters.{name}",
        checks=METADATA_CHECKS,
    )


MUTATIONS = [
    mutate_expected_overflow,
    mutate_tolerance,
    mutate_model_number,
    mutate_vector_length,
    mutate_observed_count,
    mutate_duplicate_key,
    mutate_no_evaluable_model,
    mutate_gzip_bomb,
    mutate_wrong_length,
    mutate_modifier_type,
    mutate_renamed_parameter,
    mutate_nan_in_metadata,
]
