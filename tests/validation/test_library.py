"""The library's own parts, in-process: formats, bounded JSON, patches, HS3 translation, report."""

import ast
import copy
import json
from pathlib import Path

import pyhf
import pytest
from validation_helpers import HS3_OBSERVED, simple_correlated, simple_uncorrelated

from demos_registry.validation_engine import (
    CheckResult,
    CheckStatus,
    OverallStatus,
    ValidationReport,
    draw_figures_for_task,
    formats,
    validate_for_task,
)
from demos_registry.validation_engine.engines.hs3_to_pyhf import UnsupportedHS3Error, hs3_to_pyhf
from demos_registry.validation_engine.patching import PatchConflict, apply_patch
from demos_registry.validation_engine.safejson import UnsafeJSONError, nesting_depth, parse_json

PACKAGE = Path(__file__).resolve().parents[2] / "site" / "demos_registry" / "validation_engine"


def bare_twice_nll(model, data, values):
    """−2 ln L with bare pyhf at scalar values named `name` or `name[i]` (others at their init)."""
    pars = model.config.suggested_init()
    for name, value in values.items():
        parameter, _, index = name.partition("[")
        pars[model.config.par_slice(parameter).start + int(index.rstrip("]") or 0)] = value
    return float(-2 * model.logpdf(pars, data)[0])


def test_library_imports_no_web_or_database_framework():
    forbidden = {"flask", "invenio", "sqlalchemy", "celery", "werkzeug"}
    sources = sorted(PACKAGE.rglob("*.py"))
    assert sources, f"no sources under {PACKAGE}"
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{source.name} imports {name}"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"channels": [], "observations": [], "measurements": []}, formats.PYHF_WORKSPACE),
        ({"channels": []}, formats.PYHF_MODEL_SPEC),
        ({"metadata": {}, "patches": []}, formats.PYHF_PATCHSET),
        ([{"op": "add", "path": "/a", "value": 1}], formats.JSON_PATCH),
        ({"distributions": [], "metadata": {"hs3_version": "0.2"}}, formats.HS3),
        ({"something": 1}, formats.UNKNOWN_JSON),
    ],
)
def test_json_formats_are_told_apart(document, expected):
    assert formats.classify_json(document) == expected


def test_containers_are_recognised_by_magic_bytes():
    assert formats.detect_container(b"root\x00\x00") == formats.ROOT_FILE
    assert formats.detect_container(b"\x1f\x8b\x08") == formats.ARCHIVE
    assert formats.detect_container(b"PK\x03\x04") == formats.ARCHIVE
    assert formats.detect_container(b'{"channels": []}') is None


def test_nesting_depth_ignores_brackets_inside_strings():
    assert nesting_depth(b'{"a": "[[[[[[", "b": [[1]]}') == 3
    assert nesting_depth(b'["\\"[["]') == 1


def test_parse_json_enforces_size_and_depth_and_counts_nan():
    with pytest.raises(UnsafeJSONError, match="exceeds the limit of 10 bytes"):
        parse_json(b"[" + b"1," * 20 + b"1]", max_bytes=10, max_depth=64)
    with pytest.raises(UnsafeJSONError, match="nesting depth 65"):
        parse_json(b"[" * 65 + b"]" * 65, max_bytes=1000, max_depth=64)
    assert parse_json(b"[NaN, Infinity, 1]", max_bytes=100, max_depth=4).non_finite_numbers == 2


def test_apply_patch_leaves_the_original_untouched():
    original = {"channels": [{"name": "a", "samples": [{"name": "s"}]}], "other": {"big": [1, 2, 3]}}
    snapshot = copy.deepcopy(original)
    patched = apply_patch(
        original, [{"op": "add", "path": "/channels/0/samples/0", "value": {"name": "new"}}]
    )
    assert original == snapshot
    assert [sample["name"] for sample in patched["channels"][0]["samples"]] == ["new", "s"]
    assert patched["other"] is original["other"]


def test_hs3_translation_matches_the_pyhf_twins(models_dir):
    """The translated spec, evaluated by bare pyhf, equals the pyhf twin the HS3 file was exported from."""
    cases = [
        (
            "simplemodel_uncorrelated-background_hs3.json",
            simple_uncorrelated(),
            {"mu": 1.3, "uncorr_bkguncrt_1": 1.2},
            {"mu": 1.3, "uncorr_bkguncrt[1]": 1.2},
        ),
        (
            "simplemodel_correlated-background_hs3.json",
            simple_correlated(),
            {"mu": 0.7, "alpha_correlated_bkg_uncertainty": 0.4},
            {"mu": 0.7, "correlated_bkg_uncertainty": 0.4},
        ),
    ]
    for name, twin, hs3_point, twin_point in cases:
        spec, aliases = hs3_to_pyhf(json.loads((models_dir / "hs3" / name).read_text()))
        workspace = pyhf.Workspace(spec)
        model = workspace.model()
        flat_names = {hs3: flat for flat, hs3 in aliases.items()}
        translated_point = {flat_names.get(hs3, hs3): value for hs3, value in hs3_point.items()}
        translated = bare_twice_nll(model, workspace.data(model), translated_point)
        expected = bare_twice_nll(twin, HS3_OBSERVED + twin.config.auxdata, twin_point)
        assert translated == pytest.approx(expected, rel=1e-12), name


def test_hs3_translation_refuses_what_pyhf_cannot_express():
    document = {
        "analyses": [{"name": "a", "likelihood": "l"}],
        "likelihoods": [{"name": "l", "distributions": ["d"], "data": ["x"]}],
        "distributions": [{"name": "d", "type": "gaussian_dist"}],
    }
    with pytest.raises(UnsupportedHS3Error, match="not a histfactory_dist"):
        hs3_to_pyhf(document)


def test_report_status_rules_and_serialisation():
    report = ValidationReport(
        checks=[
            CheckResult("integrity", CheckStatus.PASSED, "ok", {"value": float("nan")}),
            CheckResult("reference_points", CheckStatus.WARNING, "none declared"),
        ]
    )
    assert report.status == OverallStatus.NEEDS_REVIEW
    report.checks.append(CheckResult("schema", CheckStatus.FAILED, "bad"))
    assert report.status == OverallStatus.FAILED
    assert ValidationReport(error="worker did not start").status == OverallStatus.ERROR
    round_trip = ValidationReport.from_dict(json.loads(report.to_json()))
    assert round_trip.status == OverallStatus.FAILED
    assert "| schema | failed | bad |" in report.to_markdown()


def test_task_entry_points_return_plain_values_and_draw_figures_apart(models_dir, tmp_path):
    model = [str(models_dir / "pyhf" / "2-bin_1-channel.json")]
    report = validate_for_task(model, None)
    json.dumps(report, allow_nan=False)
    assert report["status"] == "needs_review"
    assert "plots" not in {check["id"] for check in report["checks"]}
    assert report["plots"] == []

    check, plots = draw_figures_for_task(model, None, str(tmp_path))
    json.dumps(check, allow_nan=False)
    assert check["id"] == "plots" and check["status"] == "passed"
    assert sorted(Path(path).name for path in plots) == sorted(
        Path(path).name for path in check["details"]["files"]
    )
    assert {"scan.png", "scan.svg", "scan.thumb.png"} <= {Path(path).name for path in plots}
    assert all(Path(path).is_file() for path in plots)


def test_figures_of_given_signal_point_rows_include_their_table(models_dir, tmp_path):
    rows = [
        {
            "index": index,
            "workspace": "ws",
            "name": f"p{index}",
            "coordinates": {"m1": 100.0 * index, "m2": 10.0 * (index % 2)},
            "cls_obs": cls,
            "status": "ok",
            "flags": [],
        }
        for index, cls in enumerate([0.01, 0.2, 0.6, 0.9])
    ]
    _, plots = draw_figures_for_task(
        [str(models_dir / "pyhf" / "2-bin_1-channel.json")], None, str(tmp_path), point_rows=rows
    )
    names = {Path(path).name for path in plots}
    assert {"patch_points.csv", "patch_points.json"} <= names


def test_worker_refuses_network_connections():
    import subprocess
    import sys

    program = (
        "from demos_registry.validation_engine.worker import isolate_network\n"
        "import socket\n"
        "print(isolate_network())\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "except PermissionError as exc:\n"
        "    print('refused:', exc)\n"
    )
    completed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    isolation, refusal = completed.stdout.splitlines()
    assert isolation in ("namespace", "socket-guard")
    assert refusal == "refused: network access is disabled during model validation"


def test_copy_on_write_patching_agrees_with_jsonpatch_on_the_atlas_patches(atlas_archive):
    import tarfile

    import jsonpatch

    with tarfile.open(atlas_archive) as archive:
        workspace = json.load(archive.extractfile("RegionA/BkgOnly.json"))
        names = sorted(name for name in archive.getnames() if name.startswith("RegionA/patch."))[:40]
        patches = [json.load(archive.extractfile(name)) for name in names]
    snapshot = copy.deepcopy(workspace)
    for patch in patches:
        assert apply_patch(workspace, patch) == jsonpatch.apply_patch(workspace, patch)
    assert workspace == snapshot


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        ([{"op": "add", "path": "/a/-", "value": 9}], {"a": [1, 2, 9], "b": {"c": 3}}),
        ([{"op": "replace", "path": "/b/c", "value": 4}], {"a": [1, 2], "b": {"c": 4}}),
        ([{"op": "move", "from": "/b/c", "path": "/a/0"}], {"a": [3, 1, 2], "b": {}}),
        ([{"op": "copy", "from": "/a", "path": "/d"}, {"op": "add", "path": "/d/0", "value": 0}], None),
        (
            [{"op": "test", "path": "/a/1", "value": 2}, {"op": "remove", "path": "/a/1"}],
            {"a": [1], "b": {"c": 3}},
        ),
        ([{"op": "replace", "path": "", "value": [1]}], [1]),
    ],
)
def test_copy_on_write_patching_follows_rfc_6902(operations, expected):
    import jsonpatch

    document = {"a": [1, 2], "b": {"c": 3}}
    snapshot = copy.deepcopy(document)
    patched = apply_patch(document, operations)
    assert patched == (expected if expected is not None else jsonpatch.apply_patch(snapshot, operations))
    assert document == snapshot


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "remove", "path": "/missing"}],
        [{"op": "add", "path": "/a/5", "value": 1}],
        [{"op": "add", "path": "/a/01", "value": 1}],
        [{"op": "test", "path": "/b/c", "value": 4}],
        [{"op": "move", "from": "/b", "path": "/b/x"}],
        [{"op": "frobnicate", "path": "/a"}],
        [{"op": "add", "path": "no-slash", "value": 1}],
    ],
)
def test_copy_on_write_patching_reports_conflicts(operations):
    with pytest.raises(PatchConflict):
        apply_patch({"a": [1, 2], "b": {"c": 3}}, operations)


def test_pyhf_to_hs3_translation_agrees_with_pyhf_in_pyhs3():
    from demos_registry.validation_engine.engines.pyhf_to_hs3 import pyhf_to_hs3
    from demos_registry.validation_engine.engines.pyhs3 import Pyhs3Engine

    spec = {
        "channels": [
            {
                "name": "sr",
                "samples": [
                    {
                        "name": "signal",
                        "data": [5.0, 8.0],
                        "modifiers": [
                            {"name": "mu", "type": "normfactor", "data": None},
                            {"name": "lumi", "type": "lumi", "data": None},
                        ],
                    },
                    {
                        "name": "background",
                        "data": [50.0, 40.0],
                        "modifiers": [
                            {"name": "lumi", "type": "lumi", "data": None},
                            {"name": "norm", "type": "normsys", "data": {"hi": 1.1, "lo": 0.85}},
                            {
                                "name": "shape",
                                "type": "histosys",
                                "data": {"hi_data": [53.0, 41.0], "lo_data": [48.0, 37.0]},
                            },
                            {"name": "mc_stat", "type": "shapesys", "data": [4.0, 3.0]},
                        ],
                    },
                ],
            }
        ],
        "observations": [{"name": "sr", "data": [57.0, 46.0]}],
        "measurements": [
            {
                "name": "m",
                "config": {
                    "poi": "mu",
                    "parameters": [
                        {
                            "name": "lumi",
                            "auxdata": [1.0],
                            "sigmas": [0.02],
                            "bounds": [[0.9, 1.1]],
                            "inits": [1.0],
                        }
                    ],
                },
            }
        ],
        "version": "1.0.0",
    }
    workspace = pyhf.Workspace(spec)
    model = workspace.model()
    data = workspace.data(model)
    document, aliases = pyhf_to_hs3(model, spec, data[: model.config.nmaindata])
    translated = Pyhs3Engine(document, aliases={hs3: flat for flat, hs3 in aliases.items()})
    assert sorted(translated.parameter_names()) == sorted(
        ["mu", "lumi", "norm", "shape", "mc_stat[0]", "mc_stat[1]"]
    )
    start = bare_twice_nll(model, data, {})
    translated_start = translated.twice_nll({})
    for point in [
        {"mu": 2.0},
        {"lumi": 1.03},
        {"norm": 0.6},
        {"shape": -0.7},
        {"shape": 1.4},
        {"mc_stat[1]": 1.1},
    ]:
        expected = bare_twice_nll(model, data, point) - start
        assert translated.twice_nll(point) - translated_start == pytest.approx(
            expected, rel=1e-9, abs=1e-9
        ), point
