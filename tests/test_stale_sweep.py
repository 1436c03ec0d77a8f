"""The stale-validation sweep with a broker that no worker consumes.

Validations queued while no worker runs stay pending. The beat task re-queues
them, writes each re-queue to the decision trail, backs off (2×, 4×, ... the stale
age) instead of re-queuing the same records every run, and walks every page.
"""

from datetime import UTC, datetime, timedelta

import pytest
from celery import current_app as current_celery
from rest_helpers import (
    create_draft,
    model_metadata,
    upload_file,
)
from test_validation_runs import MODEL_FILE
from worker_process import through_the_broker  # noqa: F401  (fixture, used by pytestmark)

from demos_registry.validation_runs.tasks import SWEEPER, sweep_stale_validations

pytestmark = pytest.mark.usefixtures("through_the_broker")

STALE_AFTER = timedelta(minutes=10)
"""Long against the test's own pace (uploads and reads under load take seconds): the sweeps run on a
clock the test sets, so nothing waits for it."""


@pytest.fixture()
def unconsumed_queue():
    """Afterwards, drop the queued validations that no worker took."""
    yield
    current_celery.control.purge()


def requeue_stale_validations(now):
    """One run of the beat task's sweep at ``now``: pages of 2 (three drafts take two pages)."""
    return sweep_stale_validations(STALE_AFTER, 2, now)


def sweeps(client, headers, draft_id):
    """The sweep's entries in a draft's decision trail."""
    history = client.get(f"/api/records/{draft_id}/validation", headers=headers).json["history"]
    return [entry for entry in history if entry["actor"] == SWEEPER]


def test_the_sweep_records_backs_off_and_walks_every_page(
    unconsumed_queue, client, api_headers, shared_models
):
    """Three pending drafts: re-queued once each, not again at once, again after the back-off."""
    drafts = []
    for number in range(3):
        draft = create_draft(client, api_headers, model_metadata(f"Unconsumed validation {number}")).json
        upload_file(
            client, api_headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes()
        )
        drafts.append(draft["id"])
    assert all(
        client.get(f"/api/records/{d}/validation", headers=api_headers).json["status"] == "pending"
        for d in drafts
    )
    requeue_stale_validations(datetime.now(UTC) + STALE_AFTER / 2)  # not stale yet
    assert all(sweeps(client, api_headers, draft_id) == [] for draft_id in drafts)

    assert requeue_stale_validations(datetime.now(UTC) + STALE_AFTER * 1.1) >= 3
    first_sweep = datetime.now(UTC)  # after the re-queues were written (their trail time)
    for draft_id in drafts:
        entries = sweeps(client, api_headers, draft_id)
        assert len(entries) == 1 and "re-queue 1" in entries[0]["reason"], entries

    # Stale again, but the back-off is now 2 × the stale age.
    requeue_stale_validations(first_sweep + STALE_AFTER * 1.5)
    assert all(len(sweeps(client, api_headers, draft_id)) == 1 for draft_id in drafts)

    requeue_stale_validations(first_sweep + STALE_AFTER * 2.1)
    for draft_id in drafts:
        entries = sweeps(client, api_headers, draft_id)
        assert [("re-queue 2" in e["reason"]) for e in entries] == [False, True], entries
