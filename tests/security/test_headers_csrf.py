"""Production security settings: secure headers on pages and API responses, secure cookies, CSRF.

The module runs with the registry's production APP_DEFAULT_SECURE_HEADERS and CSRF
settings (pytest-invenio turns them off for other tests) and talks HTTPS to the app, as a
https_client behind the production proxy does.
"""

import pytest
from rest_helpers import record_metadata

from demos_registry import config as registry_config

HTTPS = "https://localhost"
CROSS_SITE = "https://attacker.example/form.html"


@pytest.fixture(scope="module")
def app_config(app_config):
    """The production security settings of config.py."""
    app_config.update(
        APP_DEFAULT_SECURE_HEADERS=registry_config.APP_DEFAULT_SECURE_HEADERS,
        SESSION_COOKIE_SECURE=True,
        WTF_CSRF_ENABLED=registry_config.WTF_CSRF_ENABLED,
        REST_CSRF_ENABLED=registry_config.REST_CSRF_ENABLED,
    )
    return app_config


@pytest.fixture()
def https_client(app):
    """A cookie-keeping client that speaks HTTPS, like a browser on the production site."""
    with app.test_client() as client:
        yield client


def assert_secure_headers(response):
    """The headers Talisman adds from config.py."""
    headers = response.headers
    hsts = headers.get("Strict-Transport-Security", "")
    assert f"max-age={registry_config.DEMOS_HSTS_MAX_AGE}" in hsts and "includeSubDomains" in hsts
    policy = headers.get("Content-Security-Policy", "")
    assert "script-src 'self' blob: 'wasm-unsafe-eval'" in policy, policy
    assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy, policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], policy
    assert headers.get("X-Frame-Options", "").upper() == "SAMEORIGIN"
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/login/", "/search", "/api/records?size=1", "/api/models?size=1"])
def test_pages_and_api_responses_carry_the_secure_headers(https_client, path):
    response = https_client.get(path, base_url=HTTPS)
    assert response.status_code == 200, response.get_data()[:300]
    assert_secure_headers(response)


@pytest.mark.parametrize("path", ["/login/", "/api/records"])
def test_plain_http_is_redirected_to_https(https_client, path):
    response = https_client.get(path, base_url="http://localhost")
    assert response.status_code in (301, 302)
    assert response.headers["Location"].startswith("https://")


def log_in(https_client, researcher, monkeypatch):
    """Log in through the form (its own CSRF check is the subject of another test)."""
    monkeypatch.setitem(https_client.application.config, "WTF_CSRF_ENABLED", False)
    https_client.post(
        "/login/", base_url=HTTPS, data={"email": researcher.email, "password": researcher.test_password}
    )
    monkeypatch.setitem(https_client.application.config, "WTF_CSRF_ENABLED", True)


def is_logged_in(https_client):
    """The user's own records answer only a logged-in session (anonymous callers get 403)."""
    response = https_client.get("/api/user/records", base_url=HTTPS)
    return response.status_code == 200


def test_login_form_without_csrf_token_is_refused(https_client, researcher, monkeypatch):
    response = https_client.post(
        "/login/",
        base_url=HTTPS,
        data={"email": researcher.email, "password": researcher.test_password},
        headers={"Referer": CROSS_SITE},
    )
    assert response.status_code != 302
    assert "csrf" in response.get_data(as_text=True).lower()
    assert not is_logged_in(https_client)
    log_in(https_client, researcher, monkeypatch)
    assert is_logged_in(https_client), "the same credentials log in once the CSRF check is off"


def test_session_cookie_is_secure_httponly_and_same_site(https_client):
    response = https_client.get("/login/", base_url=HTTPS)
    session_cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session_cookies, response.headers.getlist("Set-Cookie")
    for cookie in session_cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite"} <= attributes, cookie
        assert "SameSite=Lax" in cookie, cookie


def test_rest_api_with_session_cookie_needs_the_csrf_token(https_client, researcher, monkeypatch):
    """A cross-site POST rides on the session cookie but cannot know the CSRF token."""
    log_in(https_client, researcher, monkeypatch)
    draft = record_metadata("CSRF probe")
    cross_site = https_client.post(
        "/api/records", base_url=HTTPS, json=draft, headers={"Referer": CROSS_SITE}
    )
    assert cross_site.status_code == 400, cross_site.get_data()[:300]
    assert "csrf" in cross_site.json["message"].lower()

    token = https_client.get_cookie("csrftoken", domain="localhost")
    assert token is not None, "the API sets its CSRF cookie"
    forged_referer = https_client.post(
        "/api/records",
        base_url=HTTPS,
        json=draft,
        headers={"Referer": CROSS_SITE, "X-CSRFToken": token.value},
    )
    assert forged_referer.status_code == 400, forged_referer.get_data()[:300]

    same_site = https_client.post(
        "/api/records",
        base_url=HTTPS,
        json=draft,
        headers={"Referer": f"{HTTPS}/uploads/new", "X-CSRFToken": token.value},
    )
    assert same_site.status_code == 201, same_site.get_data()[:300]


def test_token_callers_need_no_csrf_token(app, researcher):
    """Bearer tokens are not sent by browsers on their own: no CSRF token needed for them."""
    response = app.test_client().post(
        "/api/records",
        base_url=HTTPS,
        json=record_metadata("Token caller"),
        headers={"Authorization": f"Bearer {researcher.test_token}"},
    )
    assert response.status_code == 201, response.get_data()[:300]
