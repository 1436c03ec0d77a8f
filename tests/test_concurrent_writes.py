"""A validation task and a web request writing the same draft, in a fixed order.

The worker writes ``demos:validation`` while a web request (an upload, an edit) has
the draft loaded. Both rewrite the whole record JSON under SQLAlchemy's version
check, so the request's commit failed ("Invalid value model." for a model sent as
two files). The race is made deterministic here: the "worker" writes in a session
of its own between the request's load and its commit.
"""

import json
import threading
import time

import pytest
import sqlalchemy as sa
from invenio_access.permissions import system_identity
from invenio_db import db
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMDraft, RDMRecord
from invenio_records.systemfields.relations.errors import InvalidRelationValue
from rest_helpers import create_draft, model_metadata, publish, refresh_records_index, upload_file
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from test_validation_runs import MODEL_FILE

from demos_registry.validation_runs.api import load, lock_fresh, save
from demos_registry.validation_runs.plots import write_media_files
from demos_registry.validation_runs.state import current, system_actor, transition


@pytest.fixture()
def draft_id(client, api_headers, shared_models):
    """A draft model with one validated file."""
    draft = create_draft(client, api_headers, model_metadata("Concurrent writes")).json
    upload_file(
        client, api_headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes()
    )
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


def figures_task_writes(app, draft_id, figure):
    """What the figures task does: a media file stored and committed in a session of its own."""
    with app.app_context():
        record = load(draft_id, True)
        write_media_files(record, {figure.name: figure}, set())
        save(record, True)


def test_figures_written_after_the_load_stay_visible(app, client, api_headers, tmp_path):
    """A draft loaded before the figures task committed keeps the figures it stored.

    The loaded copy says "no media files"; committed as loaded, it hid the stored figures,
    and Invenio's media component refused the deposit form's save with "You must first delete
    all files to set the record to be metadata-only" (the form: "Record saved with validation
    feedback in", and nothing more).
    """
    draft_id = create_draft(client, api_headers, model_metadata("Figures after the load")).json["id"]
    loaded = RDMDraft.pid.resolve(draft_id, registered_only=False)
    assert not loaded.media_files.enabled
    figure = tmp_path / "late-figure.png"
    figure.write_bytes(b"\x89PNG figure")
    figures_task_writes(app, draft_id, figure)

    lock_fresh(loaded)
    assert loaded.media_files.enabled
    assert list(loaded.media_files) == ["late-figure.png"]
    loaded["custom_fields"]["demos:tags"] = ["written-by-the-request"]
    loaded.commit()
    db.session.commit()
    media = client.get(f"/api/records/{draft_id}/draft/media-files", headers=api_headers).json
    assert media["enabled"] is True, media
    assert [entry["key"] for entry in media["entries"]] == ["late-figure.png"], media


def test_files_uploaded_one_by_one_keep_every_checksum(client, api_headers, draft_id):
    """The upload path (FileChecksumComponent) with the worker writing between two files."""
    upload_file(client, api_headers, draft_id, "notes.json", json.dumps({"note": 1}).encode())
    draft = client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json
    assert {c["key"] for c in draft["custom_fields"]["demos:checksums"]} == {MODEL_FILE, "notes.json"}


def uploaded_but_not_committed(client, headers, draft_id, names):
    """Files initialised and their content sent, their commit still to come (as the uploader does)."""
    files_url = f"/api/records/{draft_id}/draft/files"
    response = client.post(files_url, headers=headers, data=json.dumps([{"key": name} for name in names]))
    assert response.status_code == 201, response.json
    octet = {**headers, "Content-Type": "application/octet-stream"}
    for name in names:
        response = client.put(f"{files_url}/{name}/content", headers=octet, data=json.dumps({"file": name}))
        assert response.status_code == 200, response.json


def lock_waiters():
    """Sessions of this database waiting for a lock."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    with db.engine.connect() as connection:
        return connection.execute(sa.text(query)).scalar()


def test_two_files_committed_at_once_do_not_deadlock(app, client, api_headers, draft_id):
    """Two commits of one draft at once (the form uploads several files in parallel) both succeed.

    Writing a file's row locks the draft row through the foreign key; the commit then locks
    the draft row for update. Two commits that both wrote their file row before either took
    the update lock waited for each other, and PostgreSQL aborted one ("deadlock detected");
    the form showed a failed upload. Here both commits are started while another session
    holds the draft row, so they reach the same point together when it lets go.
    """
    uploaded_but_not_committed(client, api_headers, draft_id, ["first.json", "second.json"])
    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def hold_the_draft_row():
        with app.app_context():
            load(draft_id, True)
            holding.set()
            release.wait(60)
            db.session.rollback()

    def commit(key):
        with app.app_context():
            try:
                current_rdm_records_service.draft_files.commit_file(system_identity, draft_id, key)
                outcome[key] = "committed"
            except OperationalError as error:
                db.session.rollback()
                outcome[key] = str(error.orig).splitlines()[0]

    holder = threading.Thread(target=hold_the_draft_row)
    holder.start()
    assert holding.wait(30)
    commits = [threading.Thread(target=commit, args=(key,)) for key in ("first.json", "second.json")]
    for thread in commits:
        thread.start()
    deadline = time.monotonic() + 30
    while lock_waiters() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    release.set()
    for thread in [holder, *commits]:
        thread.join(120)

    assert outcome == {"first.json": "committed", "second.json": "committed"}


def test_a_writer_indexing_the_revision_it_loaded_after_a_newer_one_indexes_the_newest(
    app, client, api_headers, draft_id
):
    """Two writers of a published record index in the opposite order of their commits.

    Invenio's services index the revision they loaded, after their commit (a community
    inclusion during an import, while the record's figures task wrote it twice: "current
    version [8] is higher than the one provided [6]"). The search engine refused it with a
    version conflict: the import aborted, ``POST /api/models?publish=true`` was a 500 with
    everything saved. Now the older writer indexes the record as committed: the newest.
    """
    assert publish(client, api_headers, draft_id).status_code == 202
    db.session.commit()
    with app.app_context():
        loaded_earlier = RDMRecord.pid.resolve(draft_id)
        with app.app_context():
            newer = load(draft_id, False)
            transition(newer, "running", system_actor(), "a task writes the published record")
            save(newer, False)
            revision = RDMRecord.pid.resolve(draft_id).revision_id
        assert loaded_earlier.revision_id < revision
        current_rdm_records_service.indexer.index(loaded_earlier)

    refresh_records_index()
    (hit,) = client.get("/api/records", query_string={"q": f'id:"{draft_id}"'}).json["hits"]["hits"]
    assert hit["revision_id"] == revision
    # The newer writer's verdict (the index holds its summary: validation_runs/index.py).
    assert (current(hit)["status"], current(hit)["updated"]) == ("running", current(newer)["updated"])
