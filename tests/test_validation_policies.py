"""Validation policy per domain community, versioned (validation_policies/).

The community's curators set the default tolerances, the required checks, whether a
model that needs review may be accepted and whether every signal point must be finite.
Every change is a new version (who, when, why); a restore is a new version; each verdict
names the version it was judged under; a change offers the re-validation of the
community's models, whose decision trail says why. The tests use demos-laser-plasma
(no other test module changes its policy) and put the registry's default back after each.
"""

from pathlib import Path

import pytest
import requests
from invenio_access.permissions import system_identity
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_rdm_records.records.api import RDMDraft
from rest_helpers import publish, submit_to_community
from test_checks import accept
from test_validation_runs import shifted_points, uploaded_model

from demos_registry.validation_policies.api import Policy, default_settings, judge
from demos_registry.validation_policies.models import (
    PolicyVersionsAreAppendOnly,
    ValidationPolicyVersion,
)
from demos_registry.validation_runs.api import save
from demos_registry.validation_runs.state import NEEDS_REVIEW, system_actor, transition

COMMUNITY = "demos-laser-plasma"
DOMAIN = {"demos:domain": {"id": "laser-plasma"}, "demos:collaboration": {"id": "eli"}}
POLICY_URL = f"/api/communities/{COMMUNITY}/validation-policy"
DEFAULT_SETTINGS = {
    "default_rtol": 1e-5,
    "default_atol": 0.0,
    "required_checks": [],
    "accept_needs_review": True,
    "patch_points_must_be_finite": False,
}
"""Version 0 as documented (DEMOS_VALIDATION_POLICY_DEFAULT)."""
REASON = "Laser-plasma analyses publish -2 ln L to eight digits."


def points_without_tolerance(relative):
    """The two-bin reference points shifted by ``relative``, declaring no tolerance of their own."""
    return [
        {k: v for k, v in point.items() if k not in ("rtol", "atol")} for point in shifted_points(relative)
    ]


def laser_plasma_model(client, headers, shared_models, **custom_fields):
    """A draft model of the laser-plasma domain, validated on upload."""
    return uploaded_model(client, headers, shared_models, **{**DOMAIN, **custom_fields})


def validation(client, headers, recid):
    """The stored ``demos:validation`` of a draft or record."""
    return client.get(f"/api/records/{recid}/validation", headers=headers).json


def change_policy(client, headers, reason=REASON, **settings):
    """PUT a new version; returns the response."""
    return client.put(POLICY_URL, headers=headers, json={"settings": settings, "reason": reason})


@pytest.fixture()
def curator(app, curator_headers):
    """JSON headers of the curator of every domain community."""
    return curator_headers


@pytest.fixture(autouse=True)
def default_policy_afterwards(app, client, curator_headers):
    """Each test starts and ends under the registry's default settings (as a new version)."""
    yield
    current = client.get(POLICY_URL, headers=curator_headers).json
    if current["settings"] != default_settings():
        response = change_policy(
            client, curator_headers, reason="tests: back to the registry's default", **default_settings()
        )
        assert response.status_code == 200, response.json


def test_a_community_without_versions_is_judged_by_the_registry_default(client, api_headers):
    """Version 0: today's global settings; anyone may read it."""
    response = client.get("/api/communities/demos-hadron/validation-policy", headers=api_headers)
    assert response.status_code == 200, response.json
    policy = response.json
    assert (policy["version"], policy["is_default"], policy["created_by"]) == (0, True, None)
    assert policy["settings"] == DEFAULT_SETTINGS
    community = current_communities.service.read(system_identity, "demos-hadron")
    by_id = client.get(f"/api/communities/{community.id}/validation-policy", headers=api_headers)
    assert by_id.json["community"] == {"id": str(community.id), "slug": "demos-hadron"}


def test_versions_are_appended_and_a_restore_is_a_new_version(client, curator):
    """Who, when, why of every version; nothing is overwritten; version 0 closes the list."""
    before = client.get(f"{POLICY_URL}/versions", headers=curator).json
    first = change_policy(client, curator, default_rtol=1e-6, required_checks=["schema"])
    assert first.status_code == 200, first.json
    first = first.json
    assert first["version"] == before["hits"][0]["version"] + 1
    assert first["links"]["revalidate"].endswith(f"{POLICY_URL}/revalidate")
    assert first["created_by"]["name"] == "curator" and first["reason"] == REASON
    assert first["settings"]["default_rtol"] == 1e-6
    assert first["settings"]["accept_needs_review"] is True  # not given: kept

    second = change_policy(client, curator, reason="Stricter still, for the tests.", default_rtol=1e-7).json
    assert second["version"] == first["version"] + 1
    assert second["settings"]["required_checks"] == ["schema"]

    restored = client.post(
        f"{POLICY_URL}/versions/{first['version']}/restore",
        headers=curator,
        json={"reason": "Version 1e-7 was too strict for ELI models."},
    )
    assert restored.status_code == 200, restored.json
    restored = restored.json
    assert restored["version"] == second["version"] + 1
    assert restored["restored_from"] == first["version"]
    assert restored["settings"] == first["settings"]

    versions = client.get(f"{POLICY_URL}/versions", headers=curator).json
    assert versions["total"] == before["total"] + 3
    numbers = [hit["version"] for hit in versions["hits"]]
    assert numbers == sorted(numbers, reverse=True) and numbers[-1] == 0
    assert versions["hits"][-1]["is_default"] is True
    kept = {hit["version"]: hit for hit in versions["hits"]}
    assert kept[first["version"]]["settings"] == first["settings"]
    assert kept[first["version"]]["reason"] == REASON
    assert kept[second["version"]]["settings"]["default_rtol"] == 1e-7
    assert [hit["current"] for hit in versions["hits"]].count(True) == 1
    assert client.get(POLICY_URL, headers=curator).json["version"] == restored["version"]
    one = client.get(f"{POLICY_URL}/versions/{second['version']}", headers=curator).json
    assert (one["version"], one["current"]) == (second["version"], False)

    community = current_communities.service.read(system_identity, COMMUNITY)
    row = db.session.get(ValidationPolicyVersion, (community.id, first["version"]))
    row.reason = "rewritten"
    with pytest.raises(PolicyVersionsAreAppendOnly):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"settings": {"default_rtol": 0}, "reason": REASON}, "settings.default_rtol"),
        ({"settings": {"default_rtol": 0.5}, "reason": REASON}, "settings.default_rtol"),
        ({"settings": {"default_rtol": "tiny"}, "reason": REASON}, "settings.default_rtol"),
        ({"settings": {"default_atol": -1}, "reason": REASON}, "settings.default_atol"),
        ({"settings": {"default_atol": 1e308 * 10}, "reason": REASON}, "settings.default_atol"),
        ({"settings": {"required_checks": ["vibes"]}, "reason": REASON}, "settings.required_checks.0"),
        ({"settings": {"required_checks": "schema"}, "reason": REASON}, "settings.required_checks"),
        ({"settings": {"accept_needs_review": "no"}, "reason": REASON}, "settings.accept_needs_review"),
        (
            {"settings": {"patch_points_must_be_finite": 1}, "reason": REASON},
            "settings.patch_points_must_be_finite",
        ),
        ({"settings": {"rtol": 1e-6}, "reason": REASON}, "settings.rtol"),
        ({"settings": {"default_rtol": 1e-6}}, "reason"),
        ({"settings": {"default_rtol": 1e-6}, "reason": "   because   "}, "reason"),
        ({"reason": REASON}, "settings"),
    ],
)
def test_invalid_settings_are_refused_naming_the_field(client, curator, body, field):
    """400 with the field and why; no version is made."""
    before = client.get(f"{POLICY_URL}/versions", headers=curator).json["total"]
    response = client.put(POLICY_URL, headers=curator, json=body)
    assert response.status_code == 400, response.json
    fields = {error["field"] for error in response.json["errors"]}
    assert field in fields, response.json
    assert all(error["messages"] for error in response.json["errors"])
    assert client.get(f"{POLICY_URL}/versions", headers=curator).json["total"] == before


def test_only_the_communitys_curators_change_restore_or_revalidate(client, api_headers, live_api):
    """A plain user reads (200) but is refused the writes (403); anonymous writes ask to log in."""
    assert client.get(POLICY_URL, headers=api_headers).status_code == 200
    assert change_policy(client, api_headers, default_rtol=1e-6).status_code == 403
    restore = client.post(f"{POLICY_URL}/versions/0/restore", headers=api_headers, json={"reason": REASON})
    assert restore.status_code == 403
    assert client.post(f"{POLICY_URL}/revalidate", headers=api_headers).status_code == 403
    anonymous = requests.put(
        f"{live_api}/communities/{COMMUNITY}/validation-policy",
        json={"settings": {}, "reason": REASON},
        timeout=60,
    )
    assert anonymous.status_code == 401, anonymous.text
    assert client.get("/api/communities/no-such-community/validation-policy").status_code == 404


def test_an_unknown_version_is_not_found(client, curator):
    """Restoring or reading a version that does not exist: 404 naming it."""
    response = client.post(f"{POLICY_URL}/versions/999/restore", headers=curator, json={"reason": REASON})
    assert response.status_code == 404
    assert "no version 999" in response.json["message"]


def test_a_stricter_tolerance_fails_a_model_that_passed_and_names_the_version(
    client, api_headers, curator, shared_models
):
    """Points 1e-7 off pass at the default rtol 1e-5 and fail at the community's 1e-8."""
    draft = laser_plasma_model(
        client, api_headers, shared_models, **{"demos:reference_points": points_without_tolerance(1e-7)}
    )
    state = draft["custom_fields"]["demos:validation"]
    before = client.get(POLICY_URL, headers=curator).json["version"]
    assert state["status"] == "passed", state.get("report", {}).get("checks")
    assert state["policy"] == {"community": COMMUNITY, "version": before}
    assert f"under the validation policy of {COMMUNITY}, version {before}" in state["history"][-1]["reason"]

    strict = change_policy(client, curator, default_rtol=1e-8)
    assert strict.status_code == 200, strict.json
    version = strict.json["version"]
    assert client.post(f"/api/records/{draft['id']}/validation", headers=api_headers).status_code == 202

    state = validation(client, api_headers, draft["id"])
    assert state["status"] == "failed"
    assert state["policy"] == {"community": COMMUNITY, "version": version}
    assert f"under the validation policy of {COMMUNITY}, version {version}" in state["history"][-1]["reason"]
    (points,) = [check for check in state["report"]["checks"] if check["id"] == "reference_points"]
    assert points["status"] == "failed"
    assert {point["rtol"] for point in points["details"]["points"]} == {1e-8}
    assert publish(client, api_headers, draft["id"]).status_code == 400

    # A point that declares its own tolerance keeps it.
    own = laser_plasma_model(
        client, api_headers, shared_models, **{"demos:reference_points": shifted_points(1e-7)}
    )
    assert own["custom_fields"]["demos:validation"]["status"] == "passed"


def test_a_required_check_that_was_skipped_fails_the_model(client, api_headers, curator, shared_models):
    """The two-bin model has no patches: with signal points required, it fails, saying why."""
    version = change_policy(client, curator, required_checks=["patch_points"]).json["version"]
    draft = laser_plasma_model(client, api_headers, shared_models)
    state = draft["custom_fields"]["demos:validation"]
    assert state["status"] == "failed"
    assert state["policy"]["version"] == version
    (check,) = [check for check in state["report"]["checks"] if check["id"] == "patch_points"]
    assert check["status"] == "failed"
    assert check["reason"].startswith(
        f"required by the validation policy of {COMMUNITY}, version {version}, but skipped: "
    )
    assert check["details"]["policy"] == {"required": True, "engine_status": "skipped"}
    response = publish(client, api_headers, draft["id"])
    assert response.status_code == 400
    assert "patch_points: required by the validation policy" in response.json["errors"][0]["messages"][0]


def test_a_new_version_reuses_a_verdict_only_under_the_same_policy_version(
    client, api_headers, curator, shared_models
):
    """Identical files: reused under the version that judged them; after a change, validated again."""
    published = laser_plasma_model(client, api_headers, shared_models)
    assert publish(client, api_headers, published["id"]).status_code == 202

    def new_version_state():
        draft = client.post(f"/api/records/{published['id']}/versions", headers=api_headers).json
        response = client.post(f"/api/records/{draft['id']}/draft/actions/files-import", headers=api_headers)
        assert response.status_code == 201, response.json
        state = validation(client, api_headers, draft["id"])
        client.delete(f"/api/records/{draft['id']}/draft", headers=api_headers)
        return state

    same = new_version_state()
    assert same.get("reused_from") == published["id"], same["history"][-1]
    assert "judged under the validation policy of" in same["history"][-1]["reason"]

    version = change_policy(client, curator, default_rtol=2e-5).json["version"]
    changed = new_version_state()
    assert "reused_from" not in changed, changed["history"][-1]
    assert [h["status"] for h in changed["history"]][-2:] == ["running", "passed"]
    assert changed["policy"] == {"community": COMMUNITY, "version": version}


def mark_needs_review(recid):
    """Give a draft a needs_review verdict (the two-bin model has no warning of its own)."""
    record = RDMDraft.pid.resolve(recid, registered_only=False)
    transition(record, NEEDS_REVIEW, system_actor(), "1 of 1 signal point(s) flagged (test)")
    save(record, True)


def test_needs_review_is_published_only_where_the_policy_accepts_it(
    client, api_headers, curator, shared_models
):
    """accept_needs_review false: publishing is refused naming the policy; true: it is published."""
    version = change_policy(client, curator, accept_needs_review=False).json["version"]
    draft = laser_plasma_model(client, api_headers, shared_models)
    mark_needs_review(draft["id"])
    response = publish(client, api_headers, draft["id"])
    assert response.status_code == 400, response.json
    message = response.json["errors"][0]["messages"][0]
    assert f"the validation policy of {COMMUNITY}, version {version} does not accept" in message

    assert change_policy(client, curator, accept_needs_review=True).status_code == 200
    assert publish(client, api_headers, draft["id"]).status_code == 202


def test_a_curator_accepts_a_needs_review_model_only_after_an_override(
    client, api_headers, curator, shared_models
):
    """Under a policy that refuses needs_review, the submission is accepted once overridden."""
    version = change_policy(client, curator, accept_needs_review=False).json["version"]
    draft = laser_plasma_model(client, api_headers, shared_models)
    request = submit_to_community(client, api_headers, draft["id"], slug=COMMUNITY)
    mark_needs_review(draft["id"])

    response = accept(client, curator, request["id"])
    assert response.status_code == 400, response.json
    message = response.json["message"]
    assert message.startswith("Error for action 'accept': The model needs review"), message
    assert f"the validation policy of {COMMUNITY}, version {version} does not accept" in message
    assert client.get(f"/api/requests/{request['id']}", headers=curator).json["status"] == "submitted"

    reason = "The flagged point lies outside the published grid; acceptable."
    response = client.post(
        f"/api/records/{draft['id']}/validation/override", headers=curator, json={"reason": reason}
    )
    assert response.status_code == 200, response.json
    response = accept(client, curator, request["id"])
    assert response.status_code == 200, response.json


def test_revalidation_after_a_change_queues_the_communitys_models_with_a_trail_entry(
    client, api_headers, curator, shared_models
):
    """Published models and drafts under review are validated again; their trails say why."""
    published = laser_plasma_model(client, api_headers, shared_models)
    assert publish(client, api_headers, published["id"]).status_code == 202
    under_review = laser_plasma_model(client, api_headers, shared_models)
    submit_to_community(client, api_headers, under_review["id"], slug=COMMUNITY)

    reason = "Looser default tolerance for plasma simulations."
    changed = change_policy(client, curator, reason=reason, default_rtol=2e-5)
    assert changed.status_code == 200, changed.json
    version = changed.json["version"]

    response = client.post(changed.json["links"]["revalidate"].split("localhost", 1)[-1], headers=curator)
    assert response.status_code == 202, response.json
    queued = response.json
    assert queued["policy"] == {"community": COMMUNITY, "version": version}
    assert queued["published"] >= 1 and queued["under_review"] >= 1
    assert queued["queued"] == queued["published"] + queued["under_review"]

    expected = f"validation policy of {COMMUNITY} changed to version {version} by curator: {reason}"
    for recid in (published["id"], under_review["id"]):
        state = validation(client, api_headers, recid)
        trail = state["history"]
        (entry,) = [entry for entry in trail if entry["reason"] == expected]
        assert entry["status"] == "pending" and entry["actor"]["type"] == "curator"
        assert [h["status"] for h in trail[trail.index(entry) :]] == ["pending", "running", "passed"]
        assert state["policy"] == {"community": COMMUNITY, "version": version}

    models_api = client.get(f"/api/models/{published['id']}/validation", headers=api_headers).json
    assert models_api["validation"]["policy"] == {"community": COMMUNITY, "version": version}
    assert models_api["links"]["policy"].endswith(POLICY_URL)


def log_in_as_curator(client, instance_path):
    """Log the test client in with the curator password set-up wrote."""
    password = (Path(instance_path) / "curator-password").read_text().strip()
    response = client.post("/login/", data={"email": "curator@demos.local", "password": password})
    assert response.status_code in (200, 302)


def test_the_policy_page_shows_versions_and_the_curators_controls(client, curator, instance_path):
    """Anyone sees the versions (who, when, why); only a curator gets the form and the buttons."""
    change_policy(client, curator, reason="Page test: a version to list.", default_rtol=3e-5)
    page = client.get(f"/communities/{COMMUNITY}/validation-policy")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Page test: a version to list." in html and 'id="demos-policy-versions"' in html
    assert 'id="demos-policy-form"' not in html

    log_in_as_curator(client, instance_path)
    html = client.get(f"/communities/{COMMUNITY}/validation-policy").get_data(as_text=True)
    assert 'id="demos-policy-form"' in html and 'id="demos-policy-revalidate"' in html
    assert '<label for="demos-policy-rtol">' in html and "Restore version 0" in html
    assert client.get("/communities/no-such-community/validation-policy").status_code == 404
    client.get("/logout/")


def flagged_points_report():
    """An engine report whose signal points are flagged (not finite), and no check failed."""
    return {
        "status": "needs_review",
        "error": None,
        "checks": [
            {"id": "schema", "status": "passed", "reason": "valid", "details": {}},
            {
                "id": "patch_points",
                "status": "warning",
                "reason": "1 of 4 signal point(s) flagged (not finite or the fit fails)",
                "details": {"points": 4, "flagged": 1, "mismatched": 0},
            },
        ],
    }


def test_judgement_of_flagged_signal_points_and_of_a_check_that_did_not_run():
    """Finite points required: a flagged point fails the model; a required check missing fails it too."""
    lenient = Policy("id", COMMUNITY, 4, {**DEFAULT_SETTINGS})
    report = flagged_points_report()
    assert judge(report, lenient) == [] and report["status"] == "needs_review"

    strict = Policy("id", COMMUNITY, 5, {**DEFAULT_SETTINGS, "patch_points_must_be_finite": True})
    report = flagged_points_report()
    (changed,) = judge(report, strict)
    assert changed.startswith("patch_points: flagged signal points fail")
    assert report["status"] == "failed"
    points = report["checks"][1]
    assert points["status"] == "failed"
    assert points["reason"].endswith(
        f"the validation policy of {COMMUNITY}, version 5 requires every signal point to be finite"
    )
    assert points["details"]["policy"] == {"patch_points_must_be_finite": True, "engine_status": "warning"}

    required = Policy("id", COMMUNITY, 6, {**DEFAULT_SETTINGS, "required_checks": ["cross_engine"]})
    report = flagged_points_report()
    judge(report, required)
    missing = report["checks"][-1]
    assert (missing["id"], missing["status"]) == ("cross_engine", "failed")
    assert (
        missing["reason"]
        == f"required by the validation policy of {COMMUNITY}, version 6, but it did not run"
    )
    assert report["status"] == "failed"
