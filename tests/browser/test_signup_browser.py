"""A newcomer signs up with a local address, confirms through the mail sink and logs in.

Without an SMTP server the registry writes every message as an .eml file into
DEMOS_MAIL_SINK_FOLDER (mail_sink/, the folder scripts/run names); here that folder is
a temporary one of this module. Screenshots of every step land in test-artifacts/.
"""

import email
import email.policy
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NEWCOMER = "newcomer@demos.local"
PASSWORD = "newcomer-password-42"
CONFIRMATION_LINK = re.compile(r"https?://[^\s\"'<>]+/confirm/[^\s\"'<>]+")


@pytest.fixture(scope="module")
def mail_folder(tmp_path_factory):
    """The module's sink folder."""
    return tmp_path_factory.mktemp("signup") / "mail"


@pytest.fixture(scope="module")
def app_config(app_config, mail_folder):
    """Mail of the live server goes to the module's folder."""
    app_config["DEMOS_MAIL_SINK_FOLDER"] = str(mail_folder)
    return app_config


def mail_to(folder, address, timeout=30):
    """The newest message to ``address`` in the sink folder, once it is there."""
    deadline = time.monotonic() + timeout
    while True:
        for path in sorted(Path(folder).glob("*.eml"), reverse=True):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                return message
        if time.monotonic() > deadline:
            pytest.fail(f"no mail to {address} in {folder}")
        time.sleep(0.5)


def log_in(page, address, password):
    """Fill and send the log-in form."""
    page.goto("/login/")
    page.fill("input[name=email]", address)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_newcomer_signs_up_confirms_through_the_sink_and_logs_in(page, mail_folder, screenshot):
    page.goto("/signup/")
    expect(page.locator("h1")).to_have_text("Sign up for a DEMOS Model Registry account!")
    page.fill("input[name=email]", NEWCOMER)
    page.fill("input[name='profile.username']", "newcomer")
    page.fill("input[name='profile.full_name']", "Nina Newcomer")
    page.fill("input[name=password]", PASSWORD)
    if page.locator("input[name=password_confirm]").count():
        page.fill("input[name=password_confirm]", PASSWORD)
    screenshot(page, "signup-filled")
    page.click("form[name=register_user_form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    screenshot(page, "signed-up")
    expect(page.locator("body")).not_to_contain_text("Invalid email address")
    assert "/signup" not in page.url, f"sign-up refused, still at {page.url}"

    # Not confirmed yet: the log-in form says so.
    log_in(page, NEWCOMER, PASSWORD)
    expect(page.locator("body")).to_contain_text("requires confirmation")
    screenshot(page, "unconfirmed-login")

    message = mail_to(mail_folder, NEWCOMER)
    assert message["Subject"] == "Welcome to the DEMOS Model Registry!"
    body = message.get_body(preferencelist=("plain", "html")).get_content()
    link = CONFIRMATION_LINK.search(body)
    assert link, body
    page.goto(link.group(0))
    expect(page.locator("body")).to_contain_text("confirmed")
    screenshot(page, "confirmed")

    # A fresh session: the newcomer logs in with the password chosen at sign-up.
    page.context.clear_cookies()
    log_in(page, NEWCOMER, PASSWORD)
    assert "/login" not in page.url, f"login failed, still at {page.url}"
    page.goto("/")
    expect(page.get_by_role("button", name="My account")).to_contain_text(NEWCOMER)
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)
    screenshot(page, "logged-in")
