"""A newcomer's first model, from the front page to the published model, timed.

Chromium plays a physicist who has never used the registry: on the front page they sign
up, confirm the address through the link of the mail the registry wrote to its sink, log
in, click "Publish a model", upload the two-bin pyhf model, fill what a model needs (the
DEMOS section first; the domain preselects its community), save, wait for the registry's
verdict (a real Celery worker validates) and submit the model to the community. The
domain's curator accepts it (through the REST API: the curator's part is not the
newcomer's time) and the newcomer opens the published model. Each step's seconds and the
total are printed and written to test-artifacts/new-user-journey.json (77 s on the 2-core
development machine under load, 74 s of them the newcomer's); the registry's review policy
is on (RDM_COMMUNITY_REQUIRED_TO_PUBLISH), as a new user meets it.
"""

import json
import re
import time

import pytest
from accessibility import ARTIFACTS
from playwright.sync_api import expect
from test_checks import accept
from test_deposit_browser import TWICE_NLL_AT_MU_1, add_reference_point, choose, fill_required_metadata
from test_signup_browser import CONFIRMATION_LINK, mail_to
from worker_process import VERDICT_TIMEOUT, through_the_broker  # noqa: F401  (fixture, used by pytestmark)

from demos_registry import config as registry_config

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.usefixtures("through_the_broker", "validation_worker"),
]

NEWCOMER = "first-model@demos.local"
PASSWORD = "first-model-password-7"
MODEL_FILE = "2-bin_1-channel.json"


@pytest.fixture(scope="module")
def mail_folder(tmp_path_factory):
    """The module's mail sink."""
    return tmp_path_factory.mktemp("journey") / "mail"


@pytest.fixture(scope="module")
def app_config(app_config, mail_folder):
    """Mail into the module's sink; the registry's review policy, as a newcomer meets it."""
    app_config["DEMOS_MAIL_SINK_FOLDER"] = str(mail_folder)
    app_config["RDM_COMMUNITY_REQUIRED_TO_PUBLISH"] = registry_config.RDM_COMMUNITY_REQUIRED_TO_PUBLISH
    return app_config


class Stopwatch:
    """Seconds per named step, from one start."""

    def __init__(self):
        """Start now."""
        self.started = self.last = time.monotonic()
        self.steps = {}

    def lap(self, step):
        """Close the step that ends now."""
        now = time.monotonic()
        self.steps[step] = round(now - self.last, 1)
        self.last = now

    def report(self):
        """The steps and the total, as written to the artifact."""
        return {"steps": self.steps, "total_seconds": round(self.last - self.started, 1)}


def sign_up_and_confirm(page, mail_folder, watch):
    """Sign up from the front page's header, then follow the link of the confirmation mail."""
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.fill("input[name=email]", NEWCOMER)
    page.fill("input[name='profile.username']", "first-model")
    page.fill("input[name='profile.full_name']", "Fiona First")
    page.fill("input[name=password]", PASSWORD)
    if page.locator("input[name=password_confirm]").count():
        page.fill("input[name=password_confirm]", PASSWORD)
    page.click("form[name=register_user_form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    watch.lap("sign up")

    body = mail_to(mail_folder, NEWCOMER).get_body(preferencelist=("plain", "html")).get_content()
    page.goto(CONFIRMATION_LINK.search(body).group(0))
    expect(page.locator("body")).to_contain_text("confirmed")
    watch.lap("confirm the address")


def log_in(page, watch):
    """Log in with the new account, unless confirming the address logged the newcomer in."""
    page.goto("/")
    if page.get_by_role("link", name="Log in").count():
        page.get_by_role("link", name="Log in").first.click()
        page.fill("input[name=email]", NEWCOMER)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/login" not in page.url, f"login failed, still at {page.url}"
    expect(page.get_by_role("button", name="My account")).to_contain_text(NEWCOMER)
    watch.lap("log in")


def describe_the_model(page, models, watch):
    """From "Publish a model": upload the file and fill the form, model first."""
    page.get_by_role("link", name="Publish a model").first.click()
    expect(page.get_by_role("button", name="Add reference point")).to_be_visible()
    page.locator("input[type=file]").first.set_input_files(str(models / "pyhf" / MODEL_FILE))
    expect(page.get_by_text(MODEL_FILE).first).to_be_visible()
    watch.lap("open the form and upload")

    choose(page, page.locator("[name='custom_fields.demos:domain']"), "Particle physics")
    choose(page, page.locator("[name='custom_fields.demos:engine']"), "pyhf")
    choose(page, page.locator("[name='custom_fields.demos:format']"), "pyhf JSON workspace")
    add_reference_point(page, "nominal", "mu=1", TWICE_NLL_AT_MU_1, rtol="1e-4")
    fill_required_metadata(page, "My first model: two-bin counting experiment")
    expect(page.locator(".page-subheader")).to_contain_text("Particle physics models")
    watch.lap("fill the form")


def validate_and_submit(page, watch):
    """Save, wait for the verdict, submit to the preselected community."""
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Record successfully saved.")).to_be_visible()
    expect(page.locator("#demos-validation-live-status")).to_have_attribute(
        "data-status", "passed", timeout=VERDICT_TIMEOUT * 1000
    )
    watch.lap("save and validate")

    page.get_by_role("button", name="Submit for review").click()
    modal = page.locator(".ui.modal")
    for checkbox in modal.locator("input[type=checkbox]").all():
        checkbox.check(force=True)
    modal.locator("button[name=submitReview]").click()
    page.wait_for_url(re.compile(r"/me/requests/[a-z0-9-]+|/requests/[a-z0-9-]+"))
    watch.lap("submit for review")


def test_a_newcomer_publishes_a_first_model(
    page, client, curator_headers, mail_folder, shared_models, screenshot
):
    watch = Stopwatch()
    sign_up_and_confirm(page, mail_folder, watch)
    log_in(page, watch)
    describe_the_model(page, shared_models, watch)
    validate_and_submit(page, watch)
    screenshot(page, "submitted")
    request_id = page.url.rstrip("/").rsplit("/", 1)[1]

    response = accept(client, curator_headers, request_id)
    assert response.status_code == 200, response.json
    watch.lap("curator accepts")
    page.reload()
    page.get_by_role("link", name="My first model: two-bin counting experiment").first.click()
    page.wait_for_url(re.compile(r"/records/[a-z0-9-]+$"))
    expect(page.locator("#demos-panel")).to_be_visible()
    watch.lap("open the published model")
    screenshot(page, "published")

    report = watch.report()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "new-user-journey.json").write_text(json.dumps(report, indent=2))
    print(f"\nnew user, front page to published model: {report['total_seconds']} s {report['steps']}")
    newcomer_seconds = report["total_seconds"] - report["steps"]["curator accepts"]
    assert newcomer_seconds < 10 * 60, report
