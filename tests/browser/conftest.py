"""Browser fixtures: the test app served over real HTTP, driven by Debian's chromium.

The application of tests/conftest.py (real PostgreSQL, osmem search, Redis) is
served by werkzeug in a background thread on a free loopback port; the site
URLs point there so that links and API calls of the React apps reach it.
Playwright drives /usr/bin/chromium headless; no browser is downloaded.
"""

import os
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server
from worker_process import celery_worker, worker_environment

from demos_registry import config as registry_config

CHROMIUM = os.environ.get("DEMOS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 60_000
"""Saving a draft with a model file runs its validation (eagerly in tests): allow for it."""


@pytest.fixture(scope="module")
def live_port():
    """A free port on 127.0.0.1 for this module's server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def live_url(live_port):
    """Base URL of the served application."""
    return f"http://127.0.0.1:{live_port}"


@pytest.fixture(scope="module")
def app_config(app_config, live_url):
    """Site URLs of the live server, plain HTTP, and the DEMOS landing page."""
    secure_headers = dict(registry_config.APP_DEFAULT_SECURE_HEADERS)
    secure_headers.update(
        force_https=False,
        session_cookie_secure=False,
        strict_transport_security=False,
    )
    app_config.update(
        SITE_UI_URL=live_url,
        SITE_API_URL=f"{live_url}/api",
        APP_DEFAULT_SECURE_HEADERS=secure_headers,
    )
    return app_config


@pytest.fixture(scope="module")
def http_server(app, live_port, live_url):
    """The application served by a threaded werkzeug server until the module ends."""
    server = make_server("127.0.0.1", live_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield live_url
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    """Headless Debian chromium through Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium, http_server, request):
    """A fresh browser context and page; its last HTML is kept for post-mortems."""
    context = chromium.new_context(
        ignore_https_errors=True, base_url=http_server, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{request.node.name}-last.html").write_text(page.content())
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()


class ConsoleErrors(list):
    """Console errors and uncaught exceptions of a page; ``responses`` names its failed requests."""

    def __init__(self):
        """Empty."""
        super().__init__()
        self.responses = []


@pytest.fixture()
def console_errors(page):
    """The page's console errors and uncaught exceptions from now on (ConsoleErrors)."""
    errors = ConsoleErrors()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and errors.responses.append(f"{response.status} {response.url}")
        ),
    )
    return errors


@pytest.fixture()
def screenshot(request):
    """Save a full-page screenshot as test-artifacts/<test>-<nn>-<step>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    counter = iter(range(1, 100))

    def take(page, step):
        path = ARTIFACTS / f"{request.node.name}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture()
def logged_in_page(page, researcher, screenshot):
    """The page, logged in as the confirmed researcher through /login/."""
    page.goto("/login/")
    page.fill("input[name=email]", researcher.email)
    page.fill("input[name=password]", researcher.test_password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"login failed, still at {page.url}"
    return page


@pytest.fixture(scope="module")
def validation_worker(app, instance_path, db_uri, search_hosts, broker_uri, tmp_path_factory):
    """The worker that validates what the live server queues (as in production, out of the request)."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with celery_worker(worker_environment(app, instance_path, db_uri, search_hosts, broker_uri), log):
        yield log


@dataclass
class BrowserLog:
    """What the page did besides rendering: console errors and polls of the validation state."""

    console_errors: list = field(default_factory=list)
    validation_polls: list = field(default_factory=list)


@pytest.fixture()
def deposit_page(logged_in_page, validation_worker):
    """The logged-in page and the log of its console errors and validation polls."""
    page, log = logged_in_page, BrowserLog()
    page.on(
        "console",
        lambda message: message.type == "error" and log.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: log.console_errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            re.search(r"/api/records/[^/]+/validation$", request.url)
            and log.validation_polls.append(request.url)
        ),
    )
    return page, log
