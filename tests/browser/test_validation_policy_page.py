"""A curator changes the validation policy of a community on its page, restores a version, re-validates.

The curator account set-up creates logs in, opens /communities/demos-laser-plasma/validation-policy
from the community's menu, saves a stricter version with a reason (the form's fields found by
their labels), sees it listed with who and why, restores the previous version, and queues the
re-validation of the community's models. The registry's default is put back at the end.
Screenshots of every step land in test-artifacts/.
"""

import pytest
from invenio_access.permissions import system_identity
from playwright.sync_api import expect
from test_curator_review import log_in_as_curator

from demos_registry.validation_policies.api import default_settings
from demos_registry.validation_policies.proxies import current_validation_policies_service

pytestmark = pytest.mark.browser

COMMUNITY = "demos-laser-plasma"
REASON = "Browser test: ELI analyses publish -2 ln L to eight digits."


@pytest.fixture()
def default_policy_afterwards(app):
    """The registry's default settings again when the test ends (as a new version)."""
    yield
    service = current_validation_policies_service
    if service.read(system_identity, COMMUNITY)["settings"] != default_settings():
        service.update(
            system_identity,
            COMMUNITY,
            {"settings": default_settings(), "reason": "tests: back to the registry's default"},
        )


def test_curator_saves_restores_and_revalidates(page, instance_path, screenshot, default_policy_afterwards):
    log_in_as_curator(page, instance_path)
    page.goto(f"/communities/{COMMUNITY}")
    page.get_by_role("link", name="Validation policy").click()
    expect(page.get_by_role("heading", name="Validation policy", exact=False).first).to_be_visible()
    before = int(page.locator("#demos-policy-current-version").inner_text())
    screenshot(page, "policy-page")

    page.get_by_label("Default relative tolerance").fill("1e-7")
    page.get_by_label("Every signal point of a patchset must be finite").check()
    page.get_by_label("Why (kept with the version").fill(REASON)
    with page.expect_navigation():
        page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#demos-policy-message")).to_contain_text(f"Saved as version {before + 1}")
    expect(page.locator("#demos-policy-current-version")).to_have_text(str(before + 1))
    newest = page.locator(f"#demos-policy-versions tr[data-version='{before + 1}']")
    expect(newest).to_contain_text(REASON)
    expect(newest).to_contain_text("curator")
    expect(newest).to_contain_text("rtol 1e-07")
    screenshot(page, "saved")

    refused = page.locator(f"#demos-policy-versions tr[data-version='{before}'] form")
    refused.get_by_label("Why restore it").fill("short")
    refused.get_by_role("button", name=f"Restore version {before}").click()
    expect(page.locator("#demos-policy-message")).to_contain_text("Not restored: reason:")

    refused.get_by_label("Why restore it").fill("The stricter tolerance failed every ELI model.")
    with page.expect_navigation():
        refused.get_by_role("button", name=f"Restore version {before}").click()
    expect(page.locator("#demos-policy-message")).to_contain_text(
        f"Version {before} restored as version {before + 2}"
    )
    expect(page.locator("#demos-policy-current-version")).to_have_text(str(before + 2))
    screenshot(page, "restored")

    page.get_by_role("button", name="Re-validate the community's models").click()
    expect(page.locator("#demos-policy-message")).to_contain_text(
        f"judged under version {before + 2}", timeout=300_000
    )
    expect(page.locator("#demos-policy-message")).to_contain_text("validations queued")
    screenshot(page, "revalidated")
