"""Every signal point of a patchset, evaluated by a real Celery worker in chunks (issue 17).

The worker evaluates 2 points in the validation run itself and sends the others in chunks of 2
as a chord; the merged verdict holds every point, compared here with bare pyhf, and the point
whose signal is zero (observed CLs is nan at μ = 1) is flagged, so the model needs review.
"""

import json
import re

import pytest
from rest_helpers import create_draft, model_metadata, upload_file
from signal_grid import (
    DEGENERATE,
    SIGNAL_GRID,
    background_only_workspace,
    bare_pyhf,
    patchset_for,
    point_name,
)
from worker_process import (
    celery_worker,
    through_the_broker,  # noqa: F401  (fixture, used by pytestmark)
    wait_for_figures,
    wait_for_verdict,
    worker_environment,
)

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("through_the_broker")]

SIGNALS = {masses: SIGNAL_GRID[masses] for masses in [(100, 10), (200, 10), (300, 10), (300, 20)]}
SIGNALS[(400, 10)] = [6.0, 5.0]
"""Five points: four of the engine tests' grid (one degenerate) and one more."""
INLINE_POINTS, POINTS_PER_CHUNK = 2, 2


@pytest.fixture(scope="module")
def chunking_worker(app, instance_path, db_uri, search_hosts, broker_uri, tmp_path_factory):
    """A worker (2 processes) that evaluates 2 points inline and the rest in chunks of 2."""
    log = tmp_path_factory.mktemp("fanout-worker") / "worker.log"
    env = worker_environment(
        app,
        instance_path,
        db_uri,
        search_hosts,
        broker_uri,
        DEMOS_VALIDATION_INLINE_PATCH_POINTS=str(INLINE_POINTS),
        DEMOS_VALIDATION_POINTS_PER_CHUNK=str(POINTS_PER_CHUNK),
    )
    with celery_worker(env, log, concurrency=2):
        yield log


def grid_draft(client, headers):
    """A draft of the background-only workspace and the five-point patchset; its id."""
    workspace = background_only_workspace()
    metadata = model_metadata("Signal grid fanned out", **{"demos:reference_points": []})
    draft_id = create_draft(client, headers, metadata).json["id"]
    upload_file(client, headers, draft_id, "BkgOnly.json", json.dumps(workspace).encode())
    upload_file(
        client, headers, draft_id, "patchset.json", json.dumps(patchset_for(workspace, SIGNALS)).encode()
    )
    return draft_id


def test_every_signal_point_is_evaluated_in_chunks_and_the_degenerate_one_flagged(
    chunking_worker, client, api_headers, logged_in_client
):
    workspace = background_only_workspace()
    draft_id = grid_draft(client, api_headers)

    state = wait_for_verdict(client, api_headers, draft_id, worker_log=chunking_worker)

    assert state["points"] == {"done": 5, "total": 5, "chunks": 3}, state.get("history", [])[-3:]
    assert "5 signal points evaluated in 3 chunks" in state["history"][-1]["reason"]
    check = next(check for check in state["report"]["checks"] if check["id"] == "patch_points")
    assert check["status"] == "warning", check["reason"]
    assert check["details"]["points"] == 5 and check["details"]["flagged"] == 1
    assert state["status"] == "needs_review"
    rows = {row["name"]: row for row in check["details"]["rows"]}
    assert sorted(rows) == sorted(point_name(*masses) for masses in SIGNALS)
    degenerate = rows[point_name(*DEGENERATE)]
    assert degenerate["status"] == "flagged" and degenerate["flags"]
    for masses, signal in SIGNALS.items():
        if masses != DEGENERATE:
            row = rows[point_name(*masses)]
            assert row["status"] == "ok", row
            assert row["cls_obs"] == pytest.approx(bare_pyhf(workspace, signal)[1], rel=1e-6)
    assert rows[point_name(400, 10)]["coordinates"] == {"m1": 400, "m2": 10}
    log = chunking_worker.read_text()
    assert log.count("evaluate_point_chunk") >= 3 and "merge_point_chunks" in log

    shown = client.get(f"/api/models/{draft_id}/visualize", headers=api_headers)
    assert shown.status_code == 200, shown.json
    points = shown.json["signal_points"]
    assert (points["points"], points["flagged"], points["status"]) == (5, 1, "warning")
    assert points["test"] == {"poi_value": 1.0, "test_stat": "qtilde", "calctype": "asymptotics"}
    assert [row["cls_obs"] for row in points["rows"]] == [row["cls_obs"] for row in check["details"]["rows"]]

    page = logged_in_client.get(f"/records/{draft_id}?preview=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "5 signal points evaluated" in html and "1 flagged" in html
    assert html.count('class="demos-point-flagged"') == 1 and html.count('class="demos-point-ok"') == 4
    assert "m1&nbsp;=&nbsp;400, m2&nbsp;=&nbsp;10" in html

    # After the verdict, its figures: the model's (a task of their own) beside the merge's point figure.
    report = wait_for_figures(client, api_headers, draft_id)
    keys = {figure["key"] for figure in report["plots"]}
    assert {"scan.png", "yields_singlechannel.png"} <= keys, keys
    assert any(key.startswith("patch_points") for key in keys), keys
    point_check = next(check for check in report["checks"] if check["id"] == "patch_points")
    assert point_check["details"]["tables"] == ["patch_points.csv", "patch_points.json"]
    assert "draw_figures" in chunking_worker.read_text()


def test_the_same_content_is_not_evaluated_twice(chunking_worker, client, api_headers):
    """A second model with the same files and fields takes the fanned-out points already computed."""
    first = wait_for_verdict(client, api_headers, grid_draft(client, api_headers), worker_log=chunking_worker)
    second_id = grid_draft(client, api_headers)

    second = wait_for_verdict(client, api_headers, second_id, worker_log=chunking_worker)

    rows = [
        next(c for c in state["report"]["checks"] if c["id"] == "patch_points")["details"]["rows"]
        for state in (first, second)
    ]
    assert rows[0] == rows[1]
    chunks = set(
        re.findall(
            rf"signal points (\[[\d, ]+\]) of {second_id}: (\d+) reused, (\d+) evaluated",
            chunking_worker.read_text(),
        )
    )
    assert chunks and all(evaluated == "0" for *_, evaluated in chunks), chunks
    assert sum(int(reused) for _, reused, _ in chunks) == len(SIGNALS), chunks
