"""The deposit form follows the registry's validation of the draft live.

A real Celery worker process validates, as in production (the live server of the
other browser tests runs the task eagerly inside the save request, so the form
could never see it pending). Chromium uploads a pyhf model, saves, and watches
the side-bar card go from pending/running to the verdict without a reload; a
reference point with a wrong expected value shows *failed* with the reason next
to the reference-points field, and saving the corrected value starts it again.
Publish follows the same status: disabled with the reason while the verdict is
awaited or failed, and a publish the server refuses shows the server's reason.
"""

import re

import pytest
from playwright.sync_api import expect
from test_deposit_browser import (
    TWICE_NLL_AT_MU_1,
    add_reference_point,
    choose,
    fill_required_metadata,
    open_new_upload,
    publish_without_review,
)
from worker_process import (
    VERDICT_TIMEOUT,
    through_the_broker,  # noqa: F401  (fixture, used by pytestmark)
)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.usefixtures("through_the_broker")]

MODEL_FILE = "2-bin_1-channel.json"
VERDICT_TIMEOUT_MS = VERDICT_TIMEOUT * 1000
PAGE_TIMERS_MS = 10 * 60 * 1000
"""Page time run at once to show that nothing polls any more: far beyond any poll or retry delay."""
WAITING = re.compile("^(pending|running)$")


def status_of(page):
    """The live status element of the side-bar validation card."""
    return page.locator("#demos-validation-live-status")


def upload_model_and_describe_it(page, screenshot, models, title):
    """Upload the two-bin model and fill what a model needs; the card follows the upload."""
    open_new_upload(page, screenshot)
    expect(status_of(page)).to_have_attribute("data-status", "none")
    page.locator("input[type=file]").first.set_input_files(str(models / "pyhf" / MODEL_FILE))
    expect(page.get_by_text(MODEL_FILE).first).to_be_visible()
    # The upload queued a validation (of the bare file): the card asked for it without a save.
    expect(status_of(page)).not_to_have_attribute("data-status", "none")

    fill_required_metadata(page, title)
    choose(page, page.locator("[name='custom_fields.demos:domain']"), "Particle physics")
    publish_without_review(page)
    choose(page, page.locator("[name='custom_fields.demos:engine']"), "pyhf")
    choose(page, page.locator("[name='custom_fields.demos:format']"), "pyhf JSON workspace")


def save_and_see_validation_start(page):
    """Save the draft; the card shows the new validation as pending or running, in the same page."""
    page.evaluate("window.demosSamePage = true")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Record successfully saved.")).to_be_visible()
    expect(status_of(page)).to_have_attribute("data-status", WAITING)


def expect_verdict(page, status):
    """Wait for the verdict on the card; the page was not reloaded meanwhile."""
    expect(status_of(page)).to_have_attribute("data-status", status, timeout=VERDICT_TIMEOUT_MS)
    assert page.evaluate("window.demosSamePage") is True, "the page was reloaded"


def sent_after_the_page_timers(page, log):
    """Run the page's timers for PAGE_TIMERS_MS at once; returns the polls they sent.

    A probe request, sent after every request those timers started, has come back when
    this returns, so any poll they sent is in the log by then.
    """
    polls = len(log.validation_polls)
    page.clock.run_for(PAGE_TIMERS_MS)
    probe = f"{log.validation_polls[0]}?probe"
    with page.expect_response(lambda response: response.url == probe):
        page.evaluate("(url) => fetch(url)", probe)
    return log.validation_polls[polls:]


def test_status_goes_live_from_pending_to_passed(deposit_page, screenshot, shared_models):
    page, log = deposit_page
    page.clock.install()  # the page's timers, run on demand below; time flows as usual until then
    upload_model_and_describe_it(page, screenshot, shared_models, "Live-validated model (browser test)")
    add_reference_point(page, "nominal", "mu=1", TWICE_NLL_AT_MU_1, rtol="1e-4")

    save_and_see_validation_start(page)
    screenshot(page, "validation-waiting")
    expect_verdict(page, "passed")
    card = page.locator("#demos-validation-live")
    card.scroll_into_view_if_needed()
    screenshot(page, "validation-passed")
    expect(status_of(page)).to_have_attribute("role", "status")
    expect(status_of(page)).to_contain_text("Passed")
    expect(status_of(page)).to_contain_text(re.compile(r"All \d+ checks passed"))
    expect(card.locator("[data-check]")).to_have_count(0)
    expect(page.locator(".demos-field-validation")).to_have_count(0)
    expect(page.locator(".demos-reference-points tbody tr").first).to_have_attribute(
        "data-validation", "passed"
    )

    # A verdict is final: polling has stopped.
    assert len(log.validation_polls) >= 1, "the card never asked the server"
    assert sent_after_the_page_timers(page, log) == [], "the card kept polling after the verdict"
    assert log.console_errors == []


def test_wrong_reference_point_fails_at_the_field_and_a_fix_revalidates(
    deposit_page, screenshot, shared_models
):
    page, log = deposit_page
    upload_model_and_describe_it(
        page, screenshot, shared_models, "Model with a wrong reference point (browser test)"
    )
    add_reference_point(page, "nominal", "mu=1", "30")

    save_and_see_validation_start(page)
    expect_verdict(page, "failed")
    expect(status_of(page)).to_contain_text("Failed")
    expect(status_of(page)).to_contain_text(re.compile(r"1 of \d+ checks failed"))
    listed = page.locator("#demos-validation-live [data-check='reference_points']")
    expect(listed).to_contain_text("Reference points: failed")
    expect(listed).to_contain_text("expected 30")

    # The reason sits next to the reference-points field, and the card links there.
    at_field = page.locator(".demos-reference-points #demos-validation-reference_points")
    expect(at_field).to_be_visible()
    expect(at_field).to_contain_text("Validation failed: Reference points")
    expect(at_field).to_contain_text(
        re.compile(r"1/1 point\(s\) off; nominal: −2 ln L = 25\.1672\d*, expected 30")
    )
    expect(listed.get_by_role("link")).to_have_attribute("href", "#demos-validation-reference_points")
    row = page.locator(".demos-reference-points tbody tr").first
    expect(row).to_have_attribute("data-validation", "failed")
    expect(row).to_contain_text(re.compile(r"The registry measured 25\.1672"))
    expect(page.locator("#demos-validation-files")).to_have_count(0)
    at_field.scroll_into_view_if_needed()
    screenshot(page, "failed-at-the-field")

    # The corrected value is saved: validation starts again and passes.
    page.get_by_label("Expected −2 ln L, point 1").fill(TWICE_NLL_AT_MU_1)
    page.get_by_label("rtol, point 1").fill("1e-4")
    save_and_see_validation_start(page)
    expect(at_field).to_have_count(0)
    expect_verdict(page, "passed")
    expect(row).to_have_attribute("data-validation", "passed")
    screenshot(page, "fixed-and-passed")
    assert log.console_errors == []


def publish_button(page):
    """InvenioRDM's Publish button in the side bar (the registry gates it on the verdict)."""
    return page.locator(".deposit-sidebar").get_by_role("button", name="Publish", exact=True)


def publish_gate(page):
    """The card's status and the Publish button's state read at one instant (both follow one poll)."""
    return page.evaluate(
        """() => {
            const button = document.querySelector(".deposit-sidebar button[name=publish]");
            const describedBy = button.getAttribute("aria-describedby");
            return {
                status: document.querySelector("#demos-validation-live-status").dataset.status,
                disabled: button.disabled,
                reason: describedBy && document.getElementById(describedBy)?.textContent,
            };
        }"""
    )


def expect_publish_blocked(page, reason):
    """Publish is disabled, and the reason is next to it and is the button's description."""
    button = publish_button(page)
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("aria-describedby", "demos-publish-blocked")
    expect(page.locator("#demos-publish-blocked")).to_be_visible()
    expect(button).to_have_accessible_description(reason)


def expect_publish_blocked_while_waiting(page):
    """Right after a save queued a validation, Publish waits for it."""
    gate = publish_gate(page)
    assert WAITING.match(gate["status"]), gate
    assert gate["disabled"], gate
    assert gate["reason"].endswith(
        f"Publishing waits for the model validation (status: {gate['status']}); "
        "Publish is enabled once it passes."
    ), gate


def confirm_publish(page):
    """Click Publish and confirm in InvenioRDM's modal."""
    publish_button(page).click()
    modal = page.locator(".ui.modal")
    expect(modal).to_contain_text("Are you sure you want to publish")
    for checkbox in modal.locator("input[type=checkbox]").all():
        checkbox.check(force=True)
    modal.locator("button[name=publish]").click()


def test_publish_waits_for_a_verdict_that_allows_it_and_a_refusal_says_why(
    deposit_page, screenshot, shared_models
):
    """Issue 14.5: the server refuses to publish without a passing verdict, so the form says so first.

    Publish is disabled, with the reason next to it, while the validation is pending, running or
    failed. When the server refuses anyway (the publish's own save changed a reference point, so
    a new validation is pending), the banner shows the server's reason, not InvenioRDM's generic
    "Please try again", and the card picks up the validation that save queued.
    """
    page, log = deposit_page
    upload_model_and_describe_it(
        page, screenshot, shared_models, "Model published once validated (browser test)"
    )
    add_reference_point(page, "nominal", "mu=1", "30")

    save_and_see_validation_start(page)
    expect_publish_blocked_while_waiting(page)
    expect_verdict(page, "failed")
    expect_publish_blocked(
        page,
        re.compile(
            r"^Validation failed \(Reference points\): fix the model or its reference points and save,"
            r" or ask a curator to override with a reason\.$"
        ),
    )
    publish_button(page).scroll_into_view_if_needed()
    screenshot(page, "publish-blocked-failed")

    page.get_by_label("Expected −2 ln L, point 1").fill(TWICE_NLL_AT_MU_1)
    page.get_by_label("rtol, point 1").fill("1e-4")
    save_and_see_validation_start(page)
    expect_publish_blocked_while_waiting(page)
    expect_verdict(page, "passed")
    expect(publish_button(page)).to_be_enabled()
    expect(publish_button(page)).not_to_have_attribute("aria-describedby", re.compile(".*"))
    expect(page.locator("#demos-publish-blocked")).to_have_count(0)
    assert log.console_errors == []

    # An unsaved change to a validated input: the form still shows the passing verdict, but the
    # save that Publish makes first queues a new validation, and the server refuses to publish.
    page.get_by_label("rtol, point 1").fill("1e-3")
    shown_since = status_of(page).get_attribute("data-updated")
    confirm_publish(page)
    banner = page.locator("#negative-feedback-div")
    expect(banner).to_contain_text(
        re.compile(
            r"The draft was not published: Validation has not finished yet \(status: (pending|running)\);"
            r" try again in a moment\."
        )
    )
    expect(banner).not_to_contain_text("Please try again")
    expect(banner).to_have_attribute("role", "alert")
    screenshot(page, "publish-refused")
    assert "/records/" not in page.url
    # The card fetches the state the refused publish left (the form kept the old one) and
    # follows it to the verdict; Publish waits for it meanwhile.
    expect(status_of(page)).not_to_have_attribute("data-updated", shown_since)
    gate = publish_gate(page)
    assert gate["disabled"] == bool(WAITING.match(gate["status"])), gate
    expect_verdict(page, "passed")
    expect(publish_button(page)).to_be_enabled()

    confirm_publish(page)
    page.wait_for_url(re.compile(r"/records/[a-z0-9-]+$"))
    expect(page.locator("#demos-validation-status")).to_contain_text(re.compile("Validation: passed"))
    refused = ("status of 400", "Error publishing draft")
    assert [error for error in log.console_errors if not any(text in error for text in refused)] == []
