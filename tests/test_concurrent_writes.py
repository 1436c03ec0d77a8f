"""A validation task and a web request writing the same draft, in a fixed order.

The worker writes ``demos:validation`` while a web request (an upload, an edit) has
the draft loaded. Both rewrite the whole record JSON under SQLAlchemy's version
check, so the request's commit failed ("Invalid value model." for a model sent as
two files). The race is made deterministic here: the "worker" writes in a session
of its own between the request's load and its commit.
"""

import json

import pytest
from demos_registry.model_validation.api import load, lock_fresh, save
from demos_registry.model_validation.state import current, system_actor, transition
from invenio_db import db
from invenio_rdm_records.records.api import RDMDraft
from invenio_records.systemfields.relations.errors import InvalidRelationValue
from rest_helpers import create_draft, model_metadata, upload_file
from sqlalchemy.orm.exc import StaleDataError
from test_model_validation import MODEL_FILE


@pytest.fixture()
def draft_id(client, api_headers, shared_models):
    """A draft model with one validated file."""
    draft = create_draft(client, api_headers, model_metadata("Concurrent writes")).json
    upload_file(client, api_headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    return draft["id"]


def worker_writes(app, draft_id, reason):
    """What the validation task does, in its own database session (a new app context)."""
    with app.app_context():
        record = load(draft_id, True)
        transition(record, "running", system_actor(), reason)
        save(record, True)


def test_the_request_takes_the_workers_write_instead_of_failing(app, draft_id):
    """With ``lock_fresh`` the request commits, and the worker's trail entry is kept."""
    loaded = RDMDraft.pid.resolve(draft_id, registered_only=False)
    worker_writes(app, draft_id, "the worker wrote in between")
    lock_fresh(loaded)
    loaded["custom_fields"]["demos:tags"] = ["written-by-the-request"]
    loaded.commit()
    db.session.commit()
    stored = load(draft_id, True)
    db.session.commit()
    assert stored["custom_fields"]["demos:tags"] == ["written-by-the-request"]
    assert current(stored)["history"][-1]["reason"] == "the worker wrote in between"


def test_without_the_lock_the_same_order_fails(app, draft_id):
    """The positive control: the race is real, and fails as the issue saw it.

    The relation check's query flushes the stale row first; invenio-records reports
    the StaleDataError it gets as "Invalid value model." (the resource type).
    """
    loaded = RDMDraft.pid.resolve(draft_id, registered_only=False)
    worker_writes(app, draft_id, "the worker wrote in between")
    loaded["custom_fields"]["demos:tags"] = ["stale"]
    with pytest.raises((InvalidRelationValue, StaleDataError)):
        loaded.commit()
        db.session.commit()
    db.session.rollback()


def test_files_uploaded_one_by_one_keep_every_checksum(client, api_headers, draft_id):
    """The upload path (FileChecksumComponent) with the worker writing between two files."""
    upload_file(client, api_headers, draft_id, "notes.json", json.dumps({"note": 1}).encode())
    draft = client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json
    assert {c["key"] for c in draft["custom_fields"]["demos:checksums"]} == {MODEL_FILE, "notes.json"}
