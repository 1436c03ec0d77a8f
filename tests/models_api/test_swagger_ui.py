"""The Swagger UI page renders every operation of the OpenAPI document in a real browser."""

import os

import pytest
import requests
from playwright.sync_api import sync_playwright

from demos_registry import config as registry_config

CHROMIUM = os.environ.get("DEMOS_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def app_config(app_config):
    """The production content security policy (pytest-invenio's blocks every script), over HTTP."""
    app_config["APP_DEFAULT_SECURE_HEADERS"] = {
        **registry_config.APP_DEFAULT_SECURE_HEADERS,
        "force_https": False,
        "session_cookie_secure": False,
        "strict_transport_security": False,
    }
    return app_config


@pytest.mark.browser
def test_swagger_ui_shows_every_operation(live_api):
    paths = requests.get(f"{live_api}/models/openapi.json", timeout=60).json()["paths"]
    operations = sum(len(methods) for methods in paths.values())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_api}/models/docs")
        page.wait_for_selector(".opblock", timeout=30000)
        shown = page.locator(".opblock").count()
        title = page.locator(".info .title").inner_text()
        browser.close()
    assert not errors
    assert "DEMOS Model Registry API" in title
    assert shown == operations
