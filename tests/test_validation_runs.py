"""Validation inside the registry: verdicts, gating, overrides, re-validation, trail."""

import json

import pytest
from invenio_access.permissions import system_identity
from invenio_communities.proxies import current_communities
from invenio_rdm_records.proxies import current_rdm_records_service
from rest_helpers import (
    TWO_BIN_ENTRY,
    create_draft,
    error_fields,
    model_metadata,
    publish,
    upload_file,
    user_with_token,
)

from demos_registry.cli import demos, published_models
from demos_registry.submissions.service import latest_published as published_by_model_id
from demos_registry.validation_runs.api import inputs_changed
from demos_registry.validation_runs.content_cache import known_report, remember_report
from demos_registry.validation_runs.tasks import validate_model

MODEL_FILE = "2-bin_1-channel.json"


def bearer(token):
    """JSON headers for a token."""
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def uploaded_model(client, headers, shared_models, **custom_fields):
    """A draft model with the two-bin file uploaded (validated eagerly in tests)."""
    draft = create_draft(client, headers, model_metadata("Validated model", **custom_fields)).json
    upload_file(client, headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    return client.get(f"/api/records/{draft['id']}/draft", headers=headers).json


def test_a_run_queued_for_inputs_already_judged_changes_nothing(client, api_headers, shared_models):
    """Two uploads in a row queue two runs; when the first to start judged both, the second is a no-op."""
    draft = uploaded_model(client, api_headers, shared_models)
    judged = draft["custom_fields"]["demos:validation"]

    validate_model.apply(args=(draft["id"],))

    again = client.get(f"/api/records/{draft['id']}/validation", headers=api_headers).json
    assert (again["updated"], len(again["history"])) == (judged["updated"], len(judged["history"]))


def shifted_points(relative):
    """The two-bin reference points with every expected value shifted."""
    points = json.loads(TWO_BIN_ENTRY.read_text())["reference_points"]
    return [{**p, "expected": p["expected"] * (1 + relative)} for p in points]


def test_upload_gives_a_passed_verdict_with_report_and_trail(client, api_headers, shared_models):
    """Uploading runs the validation; the verdict, engines and trail are on the draft."""
    draft = uploaded_model(client, api_headers, shared_models)
    state = draft["custom_fields"]["demos:validation"]
    assert state["status"] == "passed", state.get("report", {}).get("checks")
    assert "pyhf" in state["engines"]
    assert {c["id"] for c in state["report"]["checks"]} >= {"integrity", "schema", "reference_points"}
    assert [h["status"] for h in state["history"]] == ["pending", "running", "passed"]
    assert state["history"][0]["actor"]["type"] == "user"
    assert state["history"][-1]["actor"] == {"type": "system", "id": "validation"}
    assert publish(client, api_headers, draft["id"]).status_code == 202


def test_failed_verdict_blocks_publication_with_the_reason(client, api_headers, shared_models):
    """Reference values 1e-3 off: failed, and publishing says which check and why."""
    draft = uploaded_model(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(1e-3)}
    )
    assert draft["custom_fields"]["demos:validation"]["status"] == "failed"
    response = publish(client, api_headers, draft["id"])
    assert response.status_code == 400
    assert "custom_fields.demos:validation" in error_fields(response)
    message = response.json["errors"][0]["messages"][0]
    assert "reference_points" in message


def test_changed_reference_points_are_validated_again(client, api_headers, shared_models):
    """Editing the reference points replaces a failed verdict by a new one."""
    draft = uploaded_model(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(1e-3)}
    )
    payload = {
        **draft,
        "custom_fields": {**draft["custom_fields"], "demos:reference_points": shifted_points(1e-7)},
    }
    client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=payload)
    state = client.get(f"/api/records/{draft['id']}/draft", headers=api_headers).json["custom_fields"][
        "demos:validation"
    ]
    assert state["status"] == "passed"
    assert [h["status"] for h in state["history"]][-4:] == ["failed", "pending", "running", "passed"]


REUSED = "the engine's results of"
"""How a verdict's reason says that its report came from an identical earlier run."""


def engine_checks(state):
    """The checks of a verdict's report but the figures (drawn per record, after the verdict)."""
    return [check for check in state["report"]["checks"] if check["id"] != "plots"]


def test_the_same_content_is_validated_once(client, api_headers, shared_models):
    """A second model with the same file and fields takes the report computed for the first.

    Other reference points are other inputs: the engine runs for them (the shift is one no
    other test uses, so no earlier run of the session has them).
    """
    first = uploaded_model(client, api_headers, shared_models)["custom_fields"]["demos:validation"]
    second = uploaded_model(client, api_headers, shared_models)["custom_fields"]["demos:validation"]
    assert second["status"] == first["status"] == "passed"
    assert REUSED in second["history"][-1]["reason"], second["history"][-1]
    assert engine_checks(second) == engine_checks(first)
    assert second["report"]["timings"] == first["report"]["timings"]
    assert second["inputs"] == first["inputs"]

    other = uploaded_model(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(3.1e-9)}
    )["custom_fields"]["demos:validation"]
    assert other["status"] == "passed"
    assert REUSED not in other["history"][-1]["reason"]
    assert other["report"]["timings"] != first["report"]["timings"]


def test_a_run_the_worker_could_not_finish_is_not_kept(app):
    """A worker stopped by a limit (perhaps only because the machine was busy) is tried again next time."""
    stopped = {
        "status": "failed",
        "error": None,
        "checks": [
            {
                "id": "stability",
                "status": "failed",
                "details": {"worker_failure": "exceeded the wall-clock limit of 300 s and was killed"},
            }
        ],
    }
    remember_report("k" * 64, stopped)
    remember_report("e" * 64, {"status": "error", "error": "the validation worker exited", "checks": []})
    remember_report("p" * 64, {"status": "passed", "error": None, "checks": []})
    assert known_report("k" * 64) is None
    assert known_report("e" * 64) is None
    assert known_report("p" * 64)[0]["status"] == "passed"


def test_curator_override_is_recorded_and_allows_publication(client, api_headers, shared_models):
    """Only a curator, with a reason, may publish a failed model; the trail says who and why."""
    draft = uploaded_model(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(1e-3)}
    )
    community = current_communities.service.read(system_identity, "demos-particle")
    response = client.put(
        f"/api/records/{draft['id']}/draft/review",
        headers=api_headers,
        json={"receiver": {"community": str(community.id)}, "type": "community-submission"},
    )
    assert response.status_code == 200, response.json
    url = f"/api/records/{draft['id']}/validation/override"

    response = client.post(url, headers=api_headers, json={"reason": "I am sure it is fine"})
    assert response.status_code == 403

    curator = bearer(user_with_token("curator@demos.local", "curator")[1])
    response = client.post(url, headers=curator, json={"reason": "short"})
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "reason"

    reason = "Reference values were computed with an older pyhf; checked by hand."
    response = client.post(url, headers=curator, json={"reason": reason})
    assert response.status_code == 200, response.json
    state = client.get(f"/api/records/{draft['id']}/validation", headers=api_headers).json
    assert state["status"] == "overridden"
    assert state["history"][-1]["actor"]["type"] == "curator"
    assert state["history"][-1]["reason"] == reason
    assert "failed" in [h["status"] for h in state["history"]]


def test_users_cannot_forge_a_verdict(client, api_headers, shared_models):
    """A verdict sent in the draft data is ignored."""
    draft = uploaded_model(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(1e-3)}
    )
    forged = {**draft["custom_fields"]["demos:validation"], "status": "passed"}
    payload = {**draft, "custom_fields": {**draft["custom_fields"], "demos:validation": forged}}
    client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=payload)
    assert publish(client, api_headers, draft["id"]).status_code == 400


def test_validation_endpoints_answer_json_errors(client, api_headers):
    """Unknown records are 404; someone else's record is 403; both JSON."""
    response = client.post("/api/records/nonexistent-id/validation", headers=api_headers)
    assert response.status_code == 404
    assert response.json["status"] == 404
    demo_model = published_by_model_id(json.loads(TWO_BIN_ENTRY.read_text())["model_id"])
    response = client.post(f"/api/records/{demo_model['id']}/validation", headers=api_headers)
    assert response.status_code == 403
    assert response.json["status"] == 403


ROOT_SHAPESYS_MODEL = "HS3 export of pyhf's simple model with uncorrelated background"
"""ROOT reads its shapesys as relative uncertainties, pyhf and pyhs3 as absolute: a cross-engine warning."""


def stored_validation(model_id):
    """The whole ``demos:validation`` of a model's latest record (search hits hold its summary only)."""
    record_id = published_by_model_id(model_id)["id"]
    return current_rdm_records_service.read(system_identity, record_id).data["custom_fields"][
        "demos:validation"
    ]


def test_all_demo_models_passed_validation_without_manual_steps(app):
    """Seed metric (≥ 90 %, target 100 %): every demo model was validated automatically."""
    from test_registry_entries import demo_entries

    statuses, reports = {}, {}
    for entry in demo_entries():
        validation = stored_validation(entry["model_id"])
        statuses[entry["name"]] = validation["status"]
        reports[entry["name"]] = validation["report"]
    assert len(statuses) == 21, statuses
    expected = dict.fromkeys(statuses, "passed")
    expected[ROOT_SHAPESYS_MODEL] = "needs_review"
    assert statuses == expected, statuses
    # The one review is the documented engine difference (docs/validation.md), nothing else.
    not_passed = [
        c for c in reports[ROOT_SHAPESYS_MODEL]["checks"] if c["status"] not in ("passed", "skipped")
    ]
    assert [(c["id"], c["status"]) for c in not_passed] == [("cross_engine", "warning")], not_passed
    assert "root" in not_passed[0]["reason"].lower(), not_passed[0]["reason"]


@pytest.mark.slow
def test_revalidation_of_a_domain_keeps_the_history(app):
    """`invenio demos revalidate --all --domain` adds a verdict to each record's trail."""
    result = app.test_cli_runner().invoke(demos, ["revalidate", "--all", "--domain", "neutrino"])
    assert result.exit_code == 0, result.output
    assert f"{len(published_models('neutrino'))} validations queued" in result.output
    from test_registry_entries import demo_entries

    for entry in demo_entries():
        if entry["domain"] != "neutrino":
            continue
        state = stored_validation(entry["model_id"])
        statuses = [h["status"] for h in state["history"]]
        assert statuses.count("running") == 2
        assert statuses[-3:] == ["pending", "running", state["status"]]
        assert state["history"][-3]["actor"] == {"type": "system", "id": "revalidation"}


def test_a_vocabulary_entry_is_the_same_input_with_or_without_its_title():
    """The deposit form re-sends {"id"}; the stored record holds the dereferenced entry: no new validation."""
    stored = {"demos:engine": {"id": "pyhf", "title": {"en": "pyhf"}}}
    assert not inputs_changed(stored, {"demos:engine": {"id": "pyhf"}})
    assert inputs_changed(stored, {"demos:engine": {"id": "pyhs3"}})
