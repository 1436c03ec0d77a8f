"""Script in metadata never runs: a published model full of XSS payloads, seen in chromium.

The model is published through the REST API with payloads in its title, description,
creators and every free-text DEMOS field; chromium then opens its landing page and the
search page under the production Content-Security-Policy. No payload may run (no dialog,
no marker set by script), none may reach the DOM as markup (so escaping, not only the CSP,
stops it), and the pages must still work with that CSP (the deposit form as well).
"""

import json

import browser.conftest as browser_fixtures
import pytest
from playwright.sync_api import expect
from rest_helpers import (
    create_draft,
    model_metadata,
    publish,
    refresh_records_index,
    upload_file,
)

pytestmark = pytest.mark.browser

# The browser fixtures (live server, chromium, pages), for this module only: their app_config
# serves plain HTTP on loopback with the production Content-Security-Policy.
app_config = browser_fixtures.app_config
chromium = browser_fixtures.chromium
http_server = browser_fixtures.http_server
live_port = browser_fixtures.live_port
live_url = browser_fixtures.live_url
logged_in_page = browser_fixtures.logged_in_page
page = browser_fixtures.page
screenshot = browser_fixtures.screenshot

MARK = "window.__xss = (window.__xss || 0) + 1"
PAYLOADS = [
    f"<script>{MARK}</script>",
    f'<img src="x" onerror="{MARK}">',
    f'"><svg onload="{MARK}">',
    f"'-({MARK})-'",
    f'<a href="javascript:{MARK}">click</a>',
    "{{constructor.constructor('" + MARK + "')()}}",
]
"""Markup, attribute breaking, script URLs and template expressions."""


def hostile_model():
    """A publishable model whose every free-text field carries a payload."""
    payload = model_metadata("XSS probe " + PAYLOADS[0] + PAYLOADS[2])
    payload["metadata"]["description"] = "<p>Model</p>" + "".join(PAYLOADS)
    payload["metadata"]["creators"][0]["person_or_org"]["family_name"] = PAYLOADS[1]
    payload["metadata"]["additional_descriptions"] = []
    custom = payload["custom_fields"]
    custom["demos:tags"] = [*custom["demos:tags"], *PAYLOADS[:3]]
    custom["demos:search_keywords"] = PAYLOADS[3:]
    custom["demos:citations"] = PAYLOADS
    custom["demos:external_references"][0]["description"] = PAYLOADS[1]
    for point in custom["demos:reference_points"]:
        point["label"] = PAYLOADS[2]
    return payload


@pytest.fixture(scope="module")
def hostile_record_id(app, researcher, shared_models):
    """The hostile model, published by the researcher."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {researcher.test_token}", "Content-Type": "application/json"}
    response = create_draft(client, headers, hostile_model())
    assert response.status_code == 201, response.json
    draft_id = response.json["id"]
    content = (shared_models / "pyhf" / "2-bin_1-channel.json").read_bytes()
    upload_file(client, headers, draft_id, "2-bin_1-channel.json", content)
    response = publish(client, headers, draft_id)
    assert response.status_code == 202, json.dumps(response.json)[:1000]
    refresh_records_index()
    return draft_id


def watch_for_script(page):
    """Collect dialogs and Content-Security-Policy reports of the page."""
    seen = {"dialogs": [], "csp": []}
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda message: (
            seen["csp"].append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def assert_no_payload_ran_or_rendered(page, seen):
    """No marker, no dialog, no payload element in the DOM."""
    assert page.evaluate("window.__xss") is None, "a payload ran"
    assert seen["dialogs"] == []
    injected = page.locator("script:has-text('__xss'), [onerror], [onload], a[href^='javascript:']")
    assert injected.count() == 0, page.content()[:2000]


def test_landing_page_shows_payloads_as_text_and_runs_none(page, hostile_record_id, screenshot):
    seen = watch_for_script(page)
    response = page.goto(f"/records/{hostile_record_id}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1").first).to_contain_text("XSS probe <script>")
    expect(page.get_by_text(PAYLOADS[1]).first).to_be_visible()
    screenshot(page, "landing")
    assert_no_payload_ran_or_rendered(page, seen)
    assert seen["csp"] == [], "the landing page needs something the CSP forbids"


def test_search_results_show_payloads_as_text_and_run_none(page, hostile_record_id, screenshot):
    seen = watch_for_script(page)
    page.goto("/search?q=%22XSS%20probe%22")
    expect(page.get_by_text("XSS probe <script>").first).to_be_visible()
    screenshot(page, "search")
    assert_no_payload_ran_or_rendered(page, seen)
    assert seen["csp"] == [], "the search page needs something the CSP forbids"


def test_deposit_form_works_under_the_csp(logged_in_page, screenshot):
    page = logged_in_page
    seen = watch_for_script(page)
    response = page.goto("/uploads/new")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("button", name="Add reference point")).to_be_visible()
    screenshot(page, "deposit-form")
    assert seen["csp"] == [], "the deposit form needs something the CSP forbids"
