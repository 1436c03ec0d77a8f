"""A visitor lands on the front page, searches from its box and finds models.

Chromium opens ``/`` (no console error, the registry's own page), types a word of a demo
model's title in the front page's search box and lands on the search page, whose React
results list that model with its DEMOS badges. A logged-in researcher sees "Publish a model"
in the header and reaches the deposit form with it.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

SEARCHED_WORD = "sbottom"
FOUND_TITLE = "ATLAS sbottom multi-b full likelihood (Region A), INSPIRE 1748602"
"""Title of the demo model app_data/demo_models/atlas-sbottom-ins1748602."""


def console_errors_of(page):
    """The list the page's console errors and uncaught exceptions are appended to."""
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_front_page_search_lands_on_models(page, screenshot):
    errors = console_errors_of(page)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_contain_text("DEMOS Model Registry")
    expect(page.locator("#demos-frontpage-domains .demos-domain")).to_have_count(6)
    expect(page.get_by_role("link", name="Publish a model").first).to_be_visible()
    expect(page.get_by_text("successfully installed InvenioRDM")).to_have_count(0)
    screenshot(page, "front-page")
    assert errors == [], errors

    page.get_by_role("textbox", name="Search models").fill(SEARCHED_WORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    expect(page.get_by_role("link", name=FOUND_TITLE)).to_be_visible()
    # The results are models, with the DEMOS badges of the result list (domain, engine, validation).
    expect(page.locator(".demos-result-labels", has_text="Particle physics").first).to_be_visible()
    assert "q=sbottom" in page.url
    assert "resource_type" in page.url
    screenshot(page, "search-results")
    assert errors == [], errors


def test_domain_card_lists_the_domain_s_models(page):
    errors = console_errors_of(page)
    page.goto("/")
    card = page.locator("#demos-domain-neutrino")
    count = int(card.get_attribute("data-count"))
    card.click()
    page.wait_for_url(re.compile(r"/search\?.*domain"))
    expect(page.get_by_text(re.compile(rf"\b{count}\s+result(s|\(s\))? found")).first).to_be_visible()
    assert errors == [], errors


def test_publish_a_model_in_the_header(logged_in_page):
    page = logged_in_page
    page.goto("/search")
    page.locator("header").get_by_role("link", name="Publish a model").click()
    page.wait_for_url(re.compile(r"/uploads/new$"))
    expect(page.get_by_role("button", name="Add reference point")).to_be_visible()
