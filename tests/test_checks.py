"""Curator review through invenio-checks: the DEMOS verdict on the community request.

A model submitted to its domain community gets a ``demos_validation`` check run
(invenio-checks' own tables and API) that mirrors the stored verdict: each check
of the report with its reason, the parameters and reference points. A failed
model can be submitted, but the curator cannot accept it until they override
the verdict with a reason; then accepting publishes it in the community.
"""

from invenio_access.permissions import system_identity
from invenio_checks.api import ChecksAPI
from invenio_checks.models import CheckConfig
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_rdm_records.records.api import RDMDraft, RDMRecord
from rest_helpers import submit_to_community, user_with_token
from test_validation_runs import shifted_points, uploaded_model

from demos_registry.communities import ensure_domain_communities
from demos_registry.curator_checks.check import DEMOS_CHECK_ID
from demos_registry.validation_runs.api import save
from demos_registry.validation_runs.state import PENDING, system_actor, transition

COMMUNITY = "demos-particle"


def verdict_runs(draft_id):
    """The DEMOS check runs of a draft, through invenio-checks' API."""
    db.session.expire_all()
    draft = RDMDraft.pid.resolve(draft_id, registered_only=False)
    return [run for run in ChecksAPI.get_runs(draft) if run.config.check_id == DEMOS_CHECK_ID]


def accept(client, headers, request_id):
    """The curator accepts a request; returns the response."""
    return client.post(
        f"/api/requests/{request_id}/actions/accept",
        headers=headers,
        json={"payload": {"content": "Accepted.", "format": "html"}},
    )


def test_every_domain_community_has_the_check_configured(app):
    """Set-up configures the check once per domain community, and again changes nothing."""
    curator = user_with_token("curator@demos.local", "curator")[0]
    ensure_domain_communities(curator)
    configs = CheckConfig.query.filter_by(check_id=DEMOS_CHECK_ID).all()
    slugs = {current_communities.service.read(system_identity, str(c.community_id))["slug"] for c in configs}
    assert len(configs) == len(slugs) == 6
    assert COMMUNITY in slugs


def test_submission_shows_each_check_with_its_reason(client, api_headers, shared_models):
    """A passing model's request carries the report: checks, reasons, parameters, points."""
    draft = uploaded_model(client, api_headers, shared_models)
    submit_to_community(client, api_headers, draft["id"])

    (run,) = verdict_runs(draft["id"])
    result = run.result
    assert result["status"] == "passed" and result["success"] is True
    assert result["errors"] == []
    by_id = {check["id"]: check for check in result["checks"]}
    assert by_id["reference_points"]["status"] == "passed"
    assert "within tolerance" in by_id["reference_points"]["reason"]
    assert {"integrity", "schema", "stability"} <= set(by_id)
    assert "mu" in {parameter["name"] for parameter in result["parameters"]}
    assert [point["passed"] for point in result["reference_points"]] == [
        True,
        True,
        True,
    ]
    assert "pyhf" in result["engines"]
    assert 0 <= result["quality"]["score"] <= 100 and result["quality"]["licence"]["status"]


def test_failed_model_cannot_be_accepted_until_a_curator_overrides(
    client, api_headers, curator_headers, shared_models
):
    """Failed: submitted, shown with the reason, accept refused; overridden: accepted and published."""
    draft = uploaded_model(
        client,
        api_headers,
        shared_models,
        **{"demos:reference_points": shifted_points(1e-3)},
    )
    request = submit_to_community(client, api_headers, draft["id"])

    (run,) = verdict_runs(draft["id"])
    assert run.result["status"] == "failed" and run.result["success"] is False
    failed = [check for check in run.result["checks"] if check["status"] == "failed"]
    assert [check["id"] for check in failed] == ["reference_points"]
    (error,) = run.result["errors"]
    assert error["field"] == "custom_fields.demos:validation"
    assert error["messages"][0].startswith("reference_points: ")

    response = accept(client, curator_headers, request["id"])
    assert response.status_code == 400, response.json
    message = response.json["message"]
    assert message.startswith("Error for action 'accept': the model failed validation (reference_points: ")
    assert "Override the verdict with a written reason" in message
    assert client.get(f"/api/requests/{request['id']}", headers=curator_headers).json["status"] == "submitted"

    reason = "The reference values predate a pyhf fix; the curator recomputed them by hand."
    response = client.post(
        f"/api/records/{draft['id']}/validation/override",
        headers=curator_headers,
        json={"reason": reason},
    )
    assert response.status_code == 200, response.json
    (run,) = verdict_runs(draft["id"])
    assert run.result["status"] == "overridden" and run.result["errors"] == []
    assert run.result["decision"]["reason"] == reason

    response = accept(client, curator_headers, request["id"])
    assert response.status_code == 200, response.json
    assert response.json["status"] == "accepted"
    record = RDMRecord.pid.resolve(draft["id"])
    community = current_communities.service.read(system_identity, COMMUNITY)
    assert str(community.id) in record.parent.communities.ids
    assert record["custom_fields"]["demos:validation"]["status"] == "overridden"


def test_accept_waits_for_an_unfinished_validation(client, api_headers, curator_headers, shared_models):
    """A submission whose verdict is not in yet is not accepted, and the curator is told why."""
    draft = uploaded_model(client, api_headers, shared_models)
    request = submit_to_community(client, api_headers, draft["id"])
    record = RDMDraft.pid.resolve(draft["id"], registered_only=False)
    transition(
        record,
        PENDING,
        system_actor("revalidation"),
        "re-validation queued by the test",
    )
    save(record, True)

    response = accept(client, curator_headers, request["id"])
    assert response.status_code == 400, response.json
    assert "validation has not finished (status: pending)" in response.json["message"]
    (run,) = verdict_runs(draft["id"])
    assert run.result["status"] == "pending"


def test_revalidation_updates_the_request_checks(client, api_headers, curator_headers, shared_models):
    """A curator's re-validation is reflected in the request's check run (same run, new verdict)."""
    draft = uploaded_model(client, api_headers, shared_models)
    submit_to_community(client, api_headers, draft["id"])
    (before,) = verdict_runs(draft["id"])
    decided_at = before.result["decision"]["at"]

    response = client.post(f"/api/records/{draft['id']}/validation", headers=curator_headers)
    assert response.status_code == 202, response.json
    (after,) = verdict_runs(draft["id"])
    assert after.id == before.id
    assert after.result["status"] == "passed"
    assert after.result["decision"]["at"] > decided_at


def test_curator_and_uploader_converse_on_the_request(client, api_headers, curator_headers, shared_models):
    """The request timeline answers on the embedded search server too (search/embedded.py)."""
    draft = uploaded_model(client, api_headers, shared_models)
    request = submit_to_community(client, api_headers, draft["id"])
    question = "Which signal region does the patch describe?"
    comment = client.post(
        f"/api/requests/{request['id']}/comments",
        headers=curator_headers,
        json={"payload": {"content": question, "format": "html"}},
    )
    assert comment.status_code == 201, comment.json
    for headers in (curator_headers, api_headers):
        timeline = client.get(f"/api/requests/{request['id']}/timeline", headers=headers)
        assert timeline.status_code == 200, timeline.json
        contents = [hit.get("payload", {}).get("content") for hit in timeline.json["hits"]["hits"]]
        assert question in contents
