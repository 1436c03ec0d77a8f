"""The pages of a newcomer, a depositor and a curator: no console error, WCAG 2.1 AA.

Front, search, deposit (empty and filled), landing, request (checks tab), sign-up and
log-in pages are opened in Chromium. None may log an error to the console or throw (the
request page only once profiles are public: ACCOUNTS_DEFAULT_USER_VISIBILITY, see the test).
axe-core checks each: no critical or serious violation may lie in a part the registry
renders (DEMOS templates and components); a stock InvenioRDM violation is tolerated only
when docs/accessibility.md lists it with its reason. Each page's report is written to
test-artifacts/axe-<page>.json (the counts in the docs).
"""

from pathlib import Path

import pytest
from accessibility import ARTIFACTS, BLOCKING_IMPACTS, axe_violations, save_report
from playwright.sync_api import expect
from rest_helpers import model_metadata, publish, record_metadata, submit_to_community, upload_file
from test_curator_review import log_in_as_curator
from test_deposit_browser import (
    TWICE_NLL_AT_MU_1,
    add_reference_point,
    choose,
    fill_required_metadata,
    open_new_upload,
)

from demos_registry import config as registry_config

pytestmark = pytest.mark.browser

MODEL_FILE = "2-bin_1-channel.json"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "accessibility.md"


def blocking_nodes(violations, demos):
    """``(rule, target)`` of the critical and serious nodes in DEMOS parts (demos=True) or elsewhere."""
    return [
        (violation["id"], node["target"])
        for violation in violations
        for node in violation["nodes"]
        if (node["impact"] or violation["impact"]) in BLOCKING_IMPACTS and node["demos"] == demos
    ]


def documented_stock_rules(page_name):
    """Rules that docs/accessibility.md lists as known stock violations of a page (its table)."""
    rules = set()
    for line in DOCS.read_text().splitlines():
        cells = [cell.strip(" `") for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] == page_name:
            rules.add(cells[1])
    return rules


def check_page(page, name, console_errors, judge_console=True):
    """Run axe-core, keep its report (with the console errors), and judge it (and the console)."""
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page)
    save_report(ARTIFACTS, name, violations, console_errors)
    assert blocking_nodes(violations, demos=True) == [], f"{name}: DEMOS parts violate WCAG 2.1 AA"
    stock_rules = {rule for rule, _ in blocking_nodes(violations, demos=False)}
    undocumented = stock_rules - documented_stock_rules(name)
    assert not undocumented, f"{name}: stock violations not listed in docs/accessibility.md: {undocumented}"
    if judge_console:
        assert console_errors == [], f"{name}: console errors; failed requests: {console_errors.responses}"


def model_draft(client, headers, models, title):
    """A model draft with its file, through the REST API (validated in the upload request)."""
    draft = client.post("/api/records", headers=headers, json=model_metadata(title)).json
    upload_file(client, headers, draft["id"], MODEL_FILE, (models / "pyhf" / MODEL_FILE).read_bytes())
    return draft["id"]


@pytest.fixture()
def published_model(client, api_headers, shared_models):
    """A model published through the REST API, as its landing page shows it."""
    draft_id = model_draft(client, api_headers, shared_models, "Accessible model")
    assert publish(client, api_headers, draft_id).status_code == 202
    return draft_id


def test_front_page(page, console_errors):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page, "front", console_errors)


@pytest.fixture()
def metadata_only_record(client, api_headers):
    """A published record without files: its search result carries the "Metadata-only" label."""
    payload = record_metadata("Accessible metadata-only record")
    payload["files"] = {"enabled": False}
    draft = client.post("/api/records", headers=api_headers, json=payload).json
    assert publish(client, api_headers, draft["id"]).status_code == 202
    return draft["id"]


def test_search_page(page, console_errors, published_model, metadata_only_record):
    page.goto("/search?q=&sort=newest")
    expect(page.locator(".demos-result-labels").first).to_be_visible()
    expect(page.locator(".ui.label.access-status.metadata-only").first).to_be_visible()
    check_page(page, "search", console_errors)


def test_deposit_form_empty_and_filled(logged_in_page, console_errors, screenshot, shared_models):
    page = logged_in_page
    open_new_upload(page, screenshot)
    check_page(page, "deposit-empty", console_errors)

    page.locator("input[type=file]").first.set_input_files(str(shared_models / "pyhf" / MODEL_FILE))
    expect(page.get_by_text(MODEL_FILE).first).to_be_visible()
    fill_required_metadata(page, "Accessible deposit")
    choose(page, page.locator("[name='custom_fields.demos:domain']"), "Particle physics")
    choose(page, page.locator("[name='custom_fields.demos:engine']"), "pyhf")
    choose(page, page.locator("[name='custom_fields.demos:format']"), "pyhf JSON workspace")
    add_reference_point(page, "nominal", "mu=1", TWICE_NLL_AT_MU_1)
    check_page(page, "deposit-filled", console_errors)


def test_landing_page(page, console_errors, published_model):
    page.goto(f"/records/{published_model}")
    expect(page.locator("#demos-panel")).to_be_visible()
    check_page(page, "landing", console_errors)


def open_checks_tab(page, client, headers, models, instance_path):
    """A curator's view of the checks tab of a submitted model's request."""
    draft_id = model_draft(client, headers, models, "Reviewed model")
    request = submit_to_community(client, headers, draft_id)
    log_in_as_curator(page, instance_path)
    page.goto(f"/communities/demos-particle/requests/{request['id']}")
    page.locator("#checks-tab").click()
    expect(page.locator("#demos-review")).to_be_visible()


def test_request_checks_tab(page, console_errors, client, api_headers, shared_models, instance_path):
    open_checks_tab(page, client, api_headers, shared_models, instance_path)
    check_page(page, "request-checks", console_errors, judge_console=False)


@pytest.mark.xfail(
    getattr(registry_config, "ACCOUNTS_DEFAULT_USER_VISIBILITY", "restricted") != "public",
    reason="profiles are restricted: the curator's page asks for the submitter's avatar and gets a 404",
    strict=True,
)
def test_request_page_has_no_console_error(
    page, console_errors, client, api_headers, shared_models, instance_path
):
    open_checks_tab(page, client, api_headers, shared_models, instance_path)
    page.wait_for_load_state("networkidle")
    assert console_errors == [], f"console errors; failed requests: {console_errors.responses}"


def test_sign_up_page(page, console_errors):
    page.goto("/signup/")
    expect(page.locator("h1")).to_be_visible()
    check_page(page, "signup", console_errors)


def test_log_in_page(page, console_errors):
    page.goto("/login/")
    expect(page.locator("input[name=email]")).to_be_visible()
    check_page(page, "login", console_errors)
