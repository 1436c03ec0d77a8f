"""A curator reviews a submitted model on the community request page and accepts it.

The model is submitted to demos-particle through the REST API (as a researcher
would from the deposit form); the curator account that set-up creates logs in,
opens the request, reads the DEMOS validation checks with their reasons and the
parameter table, re-validates, and accepts; the model is then published in the
community. Screenshots of every step land in test-artifacts/.
"""

import time
from pathlib import Path

import pytest
from invenio_access.permissions import system_identity
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_rdm_records.records.api import RDMRecord
from playwright.sync_api import expect
from test_checks import COMMUNITY, submit_to_community
from test_validation_runs import uploaded_model

pytestmark = pytest.mark.browser

CURATOR = "curator@demos.local"


def log_in_as_curator(page, instance_path):
    """Log in with the curator password set-up wrote beside the admin's."""
    password = (Path(instance_path) / "curator-password").read_text().strip()
    page.goto("/login/")
    page.fill("input[name=email]", CURATOR)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"login failed, still at {page.url}"


def published_record(recid, timeout=30):
    """The published record of an id, once the live server's accept has committed it."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        try:
            return RDMRecord.pid.resolve(recid)
        except PIDDoesNotExistError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_curator_reads_the_report_and_accepts(
    page, client, api_headers, shared_models, instance_path, screenshot
):
    draft = uploaded_model(client, api_headers, shared_models)
    request = submit_to_community(client, api_headers, draft["id"])

    log_in_as_curator(page, instance_path)
    page.goto(f"/communities/{COMMUNITY}/requests/{request['id']}")
    screenshot(page, "request")
    page.locator("#checks-tab").click()
    review = page.locator("#demos-review")
    expect(review.locator("#demos-review-status")).to_have_text("passed")
    expect(review.locator("[data-check=reference_points]")).to_contain_text("3 point(s) reproduced by pyhf")
    expect(review.locator("[data-check=schema]")).to_contain_text("valid and consistent")
    expect(review.locator("#demos-review-parameters")).to_contain_text("mu")
    expect(review.locator("#demos-review-points tbody tr")).to_have_count(3)
    expect(review.locator("#demos-quality")).to_contain_text("/100")
    screenshot(page, "checks-tab")

    # The page reloads (on the checks tab) once the new verdict is stored.
    with page.expect_navigation():
        review.get_by_role("button", name="Re-validate").click()
    expect(page.locator("#demos-review-status")).to_have_text("passed")
    expect(page.locator("#demos-review-decision")).to_contain_text("by the registry")
    expect(page.locator("#demos-review")).to_be_visible()
    screenshot(page, "revalidated")

    page.get_by_role("button", name="Accept and publish").first.click()
    modal = page.locator(".ui.modal")
    modal.get_by_role("button", name="Accept and publish").click()
    expect(modal).to_be_hidden()
    page.wait_for_load_state("networkidle")
    screenshot(page, "accepted")

    record = published_record(draft["id"])
    community = current_communities.service.read(system_identity, COMMUNITY)
    assert str(community.id) in record.parent.communities.ids
    history = [entry["status"] for entry in record["custom_fields"]["demos:validation"]["history"]]
    assert history[-3:] == ["pending", "running", "passed"]
    assert history.count("running") == 2
