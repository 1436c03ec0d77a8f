"""Payloads and REST steps shared by the tests."""

import json
from pathlib import Path

import sqlalchemy as sa
from flask_security.utils import hash_password
from invenio_access.permissions import authenticated_user, system_identity
from invenio_access.utils import get_identity
from invenio_accounts.proxies import current_datastore
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_oauth2server.models import Token
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.proxies import current_search_client

TEST_PASSWORD = "physics-is-fun"


def user_with_token(email, username, full_name=None, role=None, scopes=()):
    """A confirmed user (created if missing, optionally given a role) and a new personal token.

    Returns (user, access token).
    """
    user = current_datastore.get_user(email)
    if user is None:
        user = current_datastore.create_user(
            email=email,
            password=hash_password(TEST_PASSWORD),
            active=True,
            username=username,
            user_profile={"full_name": full_name or username.title()},
        )
        user.confirmed_at = sa.func.now()
    if role:
        current_datastore.add_role_to_user(user, role)
    db.session.commit()
    token = Token.create_personal(f"{username}-tests", user.id, scopes=list(scopes), is_internal=False)
    db.session.commit()
    return user, token.access_token


BELLE2_DOI = "10.1103/PhysRevD.109.112006"
TWO_BIN_ENTRY = (
    Path(__file__).resolve().parent.parent / "app_data/demo_models/pyhf-2-bin-1-channel/entry.json"
)
SEED_ENTRY_KEYS = {
    "model_id",
    "name",
    "doi",
    "version",
    "domain",
    "collaboration",
    "file_location",
    "checksum",
    "reference_points",
    "metadata",
    "validation_status",
    "submission_date",
    "last_updated",
}
"""The fields of a registry entry as the DEMOS seed prints it (written out, not taken from the code)."""

TWO_BIN_REFERENCE_POINTS = json.loads(TWO_BIN_ENTRY.read_text())["reference_points"]
"""−2 ln L of ../shared/models/pyhf/2-bin_1-channel.json, the file the tests upload."""


def record_metadata(title, resource_type="dataset"):
    """Minimal complete metadata of a record."""
    return {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": {
            "title": title,
            "resource_type": {"id": resource_type},
            "publication_date": "2024-11-05",
            "publisher": "DEMOS Model Registry",
            "creators": [
                {
                    "person_or_org": {
                        "type": "personal",
                        "family_name": "Researcher",
                        "given_name": "Ada",
                    }
                }
            ],
        },
    }


def model_metadata(title, **custom_fields):
    """A statistical model with every DEMOS field a user fills, overridable per test."""
    payload = record_metadata(title, resource_type="model")
    payload["custom_fields"] = {
        "demos:domain": {"id": "particle"},
        "demos:collaboration": {"id": "belle-ii"},
        "demos:engine": {"id": "pyhf"},
        "demos:format": {"id": "pyhf-json"},
        "demos:model_version": "1.0.0",
        "demos:reference_points": TWO_BIN_REFERENCE_POINTS,
        "demos:external_references": [
            {"scheme": "doi", "identifier": BELLE2_DOI, "description": "Publication"},
            {"scheme": "arxiv", "identifier": "2311.14647"},
            {"scheme": "hepdata", "identifier": "10.17182/hepdata.146874.v1"},
            {"scheme": "github", "identifier": "https://github.com/scikit-hep/pyhf"},
        ],
        "demos:tags": ["B-meson", "rare-decay", "neutrino"],
        "demos:search_keywords": ["penguin", "missing energy"],
        "demos:citations": ["Belle II, Phys. Rev. D 109, 112006 (2024)"],
        **custom_fields,
    }
    return payload


def identity_of(user):
    """The service identity of a logged-in user."""
    identity = get_identity(user)
    identity.provides.add(authenticated_user)
    return identity


def refresh_records_index():
    """Make just-indexed records and drafts visible to search.

    The queued records are read in the test's own session: expired first, so that a record
    another request changed since (the previous version when a new one is published) is
    indexed at its current revision, not at the older one this session loaded before (which
    the search engine refuses with 409, leaving the broker connection of the bulk queue broken).
    """
    db.session.expire_all()
    current_rdm_records_service.indexer.process_bulk_queue()
    current_search_client.indices.refresh(index="*")


def drafts_of(user):
    """How many drafts a user has (after a refresh of the index)."""
    refresh_records_index()
    return current_rdm_records_service.search_drafts(identity_of(user), params={"size": 1}).total


def create_draft(client, headers, payload):
    """POST a draft; returns the response."""
    return client.post("/api/records", headers=headers, data=json.dumps(payload))


def upload_file(client, headers, draft_id, filename, content):
    """Upload one file into a draft through the three-step files API."""
    files_url = f"/api/records/{draft_id}/draft/files"
    response = client.post(files_url, headers=headers, data=json.dumps([{"key": filename}]))
    assert response.status_code == 201, response.json
    octet = {**headers, "Content-Type": "application/octet-stream"}
    response = client.put(f"{files_url}/{filename}/content", headers=octet, data=content)
    assert response.status_code == 200, response.json
    response = client.post(f"{files_url}/{filename}/commit", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def publish(client, headers, draft_id):
    """Publish a draft; returns the response."""
    return client.post(f"/api/records/{draft_id}/draft/actions/publish", headers=headers)


def error_fields(response):
    """The field paths named in an error response (or a draft's errors)."""
    return {error["field"] for error in response.json.get("errors", [])}


def submit_to_community(client, headers, draft_id, slug="demos-particle"):
    """Create the community-submission request of a draft and submit it; returns the request."""
    community = current_communities.service.read(system_identity, slug)
    response = client.put(
        f"/api/records/{draft_id}/draft/review",
        headers=headers,
        json={"receiver": {"community": str(community.id)}, "type": "community-submission"},
    )
    assert response.status_code == 200, response.json
    response = client.post(
        f"/api/records/{draft_id}/draft/actions/submit-review",
        headers=headers,
        json={"payload": {"content": "Please review this model.", "format": "html"}},
    )
    assert response.status_code == 202, response.json
    return response.json
