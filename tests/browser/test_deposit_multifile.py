"""A model made of several files goes through the deposit form, as a physicist would send it.

HistFactory analyses are often published as a background-only workspace plus a patchset
of signal hypotheses: two files, one model. Chromium uploads both through InvenioRDM's
file uploader (at once, or the patchset later while the first validation may still run),
the real Celery worker validates them together, the side-bar card shows its verdict and
the form publishes. The REST API must then show both files, their SHA-256 in
``demos:checksums`` and a verdict whose report covers both files.
"""

import hashlib
import re
import time

import pytest
from playwright.sync_api import expect
from test_deposit_browser import choose, fill_required_metadata, open_new_upload, publish_without_review
from test_deposit_live_status import (
    save_and_see_validation_start,
    status_of,
)
from worker_process import (
    VERDICT_TIMEOUT,
    through_the_broker,  # noqa: F401  (fixture, used by pytestmark)
)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.usefixtures("through_the_broker")]

WORKSPACE = "example_bkgonly.json"
PATCHSET = "example_patchset.json"
VERDICTS = ("passed", "needs_review")
"""No reference points are given, so the engine may ask for a review; both allow publishing."""
FINISHED = ("passed", "failed", "needs_review")


def sha256_of(path):
    """The SHA-256 the registry must record for a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def watch_api_errors(page):
    """Every answer of the registry's API with an error status, as "METHOD url -> status"."""
    errors = []
    page.on(
        "response",
        lambda response: (
            "/api/" in response.url
            and response.status >= 400
            and errors.append(f"{response.request.method} {response.url} -> {response.status}")
        ),
    )
    return errors


def file_row(page, name):
    """The uploader's table row of one file."""
    return page.locator("tr", has=page.get_by_text(name, exact=True))


def expect_uploaded(page, name):
    """The uploader shows the file finished: a link to its content, its MD5, a full green bar."""
    row = file_row(page, name)
    expect(row.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(row).to_contain_text("md5:")
    expect(row.locator(".file-upload-progress")).to_have_class(re.compile(r"\bsuccess\b"))


def draft_id_of(page):
    """The draft's id: the first upload creates the draft and the form moves to /uploads/<id>."""
    page.wait_for_url(re.compile(r"/uploads/(?!new$)[a-z0-9-]+$"))
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def describe_model(page, title):
    """What every model needs: the required metadata and the DEMOS domain, engine and format."""
    fill_required_metadata(page, title)
    choose(page, page.locator("[name='custom_fields.demos:domain']"), "Particle physics")
    choose(page, page.locator("[name='custom_fields.demos:engine']"), "pyhf")
    choose(page, page.locator("[name='custom_fields.demos:format']"), "pyhf JSON workspace")


def api_json(page, path):
    """GET an API path with the browser's session (the live server, as a client would)."""
    response = page.request.get(path, headers={"Accept": "application/json"})
    assert response.ok, f"GET {path} -> {response.status}: {response.text()[:500]}"
    return response.json()


def report_files(state):
    """{file name: sha256} of the files the last report was computed from."""
    return {entry["path"]: entry["sha256"] for entry in state.get("report", {}).get("files", [])}


def wait_for_verdict_on(page, recid, files):
    """Poll the API until the verdict is given on exactly these files; returns the state."""
    deadline = time.monotonic() + VERDICT_TIMEOUT
    while True:
        state = api_json(page, f"/api/records/{recid}/validation")
        if state.get("status") in FINISHED and set(report_files(state)) == set(files):
            return state
        assert time.monotonic() < deadline, (
            f"no verdict on {sorted(files)} within {VERDICT_TIMEOUT} s: {state}"
        )
        time.sleep(2)


def expect_card_shows(page, state):
    """The side-bar card shows this verdict (the same state, not an older one) without a reload."""
    expect(status_of(page)).to_have_attribute("data-status", state["status"], timeout=VERDICT_TIMEOUT * 1000)
    expect(status_of(page)).to_have_attribute("data-updated", state["updated"])
    assert page.evaluate("window.demosSamePage") is True, "the page was reloaded"


def publish_and_open_record(page):
    """Publish with the form's button (the domain's community removed: the suite lets owners publish).

    The landing page shows the verdict. Returns the record id.
    """
    publish_without_review(page)
    page.get_by_role("button", name="Publish", exact=True).click()
    modal = page.locator(".ui.modal")
    expect(modal).to_contain_text("Are you sure you want to publish")
    for checkbox in modal.locator("input[type=checkbox]").all():
        checkbox.check(force=True)
    modal.locator("button[name=publish]").click()
    page.wait_for_url(re.compile(r"/records/[a-z0-9-]+$"))
    expect(page.locator("#demos-validation-status")).to_contain_text(
        re.compile("Validation: (passed|needs review)")
    )
    return page.url.rsplit("/", 1)[-1]


def expect_record_holds_both_files(page, recid, models):
    """REST: both files on the published record, their SHA-256 kept and validated together."""
    expected = {name: sha256_of(models / "pyhf" / name) for name in (WORKSPACE, PATCHSET)}
    record = api_json(page, f"/api/records/{recid}")
    assert record["is_published"], record
    files = api_json(page, f"/api/records/{recid}/files")
    assert {entry["key"]: entry["status"] for entry in files["entries"]} == dict.fromkeys(
        expected, "completed"
    )
    checksums = record["custom_fields"]["demos:checksums"]
    assert {c["key"]: c["sha256"] for c in checksums} == expected, checksums
    assert {c["key"]: c["size"] for c in checksums} == {
        name: (models / "pyhf" / name).stat().st_size for name in expected
    }

    state = api_json(page, f"/api/records/{recid}/validation")
    assert state["status"] in VERDICTS, state["history"]
    assert state["history"][-1]["status"] == state["status"], state["history"]
    assert state["history"][-1]["actor"] == {"type": "system", "id": "validation"}, state["history"]
    assert report_files(state) == expected, state["report"]["files"]
    patches = next(check for check in state["report"]["checks"] if check["id"] == "patches")
    assert patches["status"] == "passed", patches
    assert patches["details"]["digests"] == {PATCHSET: f"matches {WORKSPACE}"}, patches
    model = api_json(page, f"/api/models/{recid}")
    assert model["validation"]["status"] == state["status"], model
    return state


def test_two_files_uploaded_at_once_are_validated_together_and_published(
    deposit_page,
    screenshot,
    shared_models,
):
    """The usual way: both files chosen in one go; one verdict covers them, and the model publishes."""
    page, log = deposit_page
    api_errors = watch_api_errors(page)
    open_new_upload(page, screenshot)
    page.locator("input[type=file]").first.set_input_files(
        [str(shared_models / "pyhf" / name) for name in (WORKSPACE, PATCHSET)]
    )
    recid = draft_id_of(page)
    expect_uploaded(page, WORKSPACE)
    expect_uploaded(page, PATCHSET)
    expect(status_of(page)).not_to_have_attribute("data-status", "none")
    describe_model(page, "Background-only workspace with its signal patchset (browser test)")
    screenshot(page, "two-files-described")

    save_and_see_validation_start(page)
    state = wait_for_verdict_on(page, recid, (WORKSPACE, PATCHSET))
    expect_card_shows(page, state)
    page.locator("#demos-validation-live").scroll_into_view_if_needed()
    screenshot(page, "verdict-on-two-files")

    published = publish_and_open_record(page)
    assert published == recid
    screenshot(page, "landing-page")
    state = expect_record_holds_both_files(page, recid, shared_models)
    uploads = [entry["reason"] for entry in state["history"] if entry["reason"].startswith("file ")]
    assert sorted(uploads) == sorted(f"file {name} uploaded" for name in (WORKSPACE, PATCHSET)), state[
        "history"
    ]
    assert api_errors == []
    assert log.console_errors == []


def test_patchset_added_while_the_workspace_is_validated_is_kept_and_validated(
    deposit_page,
    screenshot,
    shared_models,
):
    """The patchset comes later, while the worker may be writing the draft: no error, nothing lost.

    The upload's checksum and the worker's state are both written to the draft; the registry
    must answer the upload without error, keep both files, and the verdict the form shows and
    publishes with must be the one computed from both files, not the workspace's alone.
    """
    page, log = deposit_page
    api_errors = watch_api_errors(page)
    open_new_upload(page, screenshot)
    file_input = page.locator("input[type=file]").first
    file_input.set_input_files(str(shared_models / "pyhf" / WORKSPACE))
    recid = draft_id_of(page)
    expect_uploaded(page, WORKSPACE)
    describe_model(page, "Workspace first, patchset second (browser test)")

    save_and_see_validation_start(page)
    before = api_json(page, f"/api/records/{recid}/validation")
    file_input.set_input_files(str(shared_models / "pyhf" / PATCHSET))
    expect_uploaded(page, PATCHSET)
    expect_uploaded(page, WORKSPACE)
    screenshot(page, "patchset-added")

    state = wait_for_verdict_on(page, recid, (WORKSPACE, PATCHSET))
    assert state["status"] in VERDICTS, state["history"]
    added = [entry for entry in state["history"] if entry["reason"] == f"file {PATCHSET} uploaded"]
    assert len(added) == 1 and added[0]["status"] == "pending", state["history"]
    assert state["history"].index(added[0]) >= len(before["history"]), "the patchset came after the save"
    expect_card_shows(page, state)
    page.locator("#demos-validation-live").scroll_into_view_if_needed()
    screenshot(page, "verdict-on-both-files")

    assert publish_and_open_record(page) == recid
    expect_record_holds_both_files(page, recid, shared_models)
    assert api_errors == []
    assert log.console_errors == []
