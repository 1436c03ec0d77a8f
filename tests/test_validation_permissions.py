"""Who may act on a validation verdict: one policy (permissions.py), every caller asks it.

Roles × actions on a model submitted to its domain community for review, through
the REST endpoints (``/api/records/<id>/validation``) and ``/api/models``. The first
allowed override succeeds (the verdict is needs_review); the next allowed ones answer
400 (the verdict is overridden already), which shows that the permission passed.
"""

import io
import json

import pytest
from invenio_access.permissions import system_identity
from invenio_accounts.proxies import current_datastore
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_oauth2server.models import Token
from rest_helpers import user_with_token

ROLES = ("owner", "other", "curator", "manager", "admin", "anonymous")
MAY_REVALIDATE = {"owner", "curator", "manager", "admin"}
MAY_OVERRIDE = {"curator", "manager", "admin"}


def token_of(email):
    """A new personal token of an existing account."""
    user = current_datastore.get_user(email)
    token = Token.create_personal(f"permissions-{email}", user.id, scopes=[], is_internal=False)
    db.session.commit()
    return token.access_token


@pytest.fixture(scope="module")
def headers(app, researcher):
    """Authorization headers per role (a community manager of demos-particle made here)."""
    manager, manager_token = user_with_token("manager@demos.test", "community-manager")
    community = current_communities.service.read(system_identity, "demos-particle")
    current_communities.service.members.add(
        system_identity,
        community.id,
        {"members": [{"type": "user", "id": str(manager.id)}], "role": "manager"},
    )
    db.session.commit()
    return {
        "owner": {"Authorization": f"Bearer {researcher.test_token}"},
        "other": {"Authorization": f"Bearer {user_with_token('bystander@demos.test', 'bystander')[1]}"},
        "curator": {"Authorization": f"Bearer {token_of('curator@demos.local')}"},
        "manager": {"Authorization": f"Bearer {manager_token}"},
        "admin": {"Authorization": f"Bearer {token_of('admin@demos.local')}"},
        "anonymous": {},
    }


@pytest.fixture(scope="module")
def submitted_model(app, headers, shared_models):
    """A model of the researcher, submitted to demos-particle for review (its verdict: passed)."""
    entry = {"name": "Permission table model", "domain": "particle"}
    workspace = (shared_models / "pyhf" / "2-bin_1-channel.json").read_bytes()
    response = app.test_client().post(
        "/api/models",
        headers=headers["owner"],
        data={"metadata": json.dumps(entry), "file": [(io.BytesIO(workspace), "workspace.json")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    assert response.json["status"] == "in_review"
    return response.json["id"]


@pytest.mark.parametrize("role", ROLES)
def test_revalidate_is_the_policys_decision(app, headers, submitted_model, role):
    """POST .../validation and POST /api/models/<id>/validate agree for every role."""
    client = app.test_client()
    records = client.post(f"/api/records/{submitted_model}/validation", headers=headers[role])
    if role in MAY_REVALIDATE:
        assert records.status_code == 202, (role, records.json)
    else:
        assert records.status_code == (401 if role == "anonymous" else 403), (role, records.json)


@pytest.mark.parametrize("role", ROLES)
def test_models_api_validate_agrees(app, headers, submitted_model, role):
    """The models API asks the same policy (a manager is not refused by a second check)."""
    response = app.test_client().post(f"/api/models/{submitted_model}/validate", headers=headers[role])
    if role in MAY_REVALIDATE:
        assert response.status_code == 202, (role, response.json)
        assert response.json["validation"]["status"] in ("pending", "running", "passed")
    elif role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code in (403, 404), (role, response.json)


@pytest.mark.parametrize("role", ROLES)
def test_override_is_for_curators_only(app, headers, submitted_model, role):
    """The uploader may not accept their own model; curators, managers and administrators may."""
    response = app.test_client().post(
        f"/api/records/{submitted_model}/validation/override",
        headers={**headers[role], "Content-Type": "application/json"},
        data=json.dumps({"reason": "Checked by hand against the paper's figure 3."}),
    )
    if role in MAY_OVERRIDE:  # the first one overrides (needs_review: no reference points), then 400
        assert response.status_code in (200, 400), (role, response.json)
        if response.status_code == 200:
            assert (
                response.json["status"] == "overridden"
                and response.json["history"][-1]["actor"]["type"] == "curator"
            )
        else:
            assert "only a failed or needs_review verdict" in json.dumps(response.json)
    else:
        assert response.status_code == (401 if role == "anonymous" else 403), (role, response.json)
