"""Personal access tokens: a maximum lifetime, a visible last use, revocation on the next request.

Tokens are made and revoked through invenio-oauth2server's settings pages as a user does, and
used against the REST API as a client does; the lifetime and last use are read from the database.
"""

import time
from datetime import UTC, datetime, timedelta

from invenio_oauth2server.models import Client, Token

from demos_registry.access_tokens.models import TokenLastUse

TOKENS_PAGE = "/account/settings/applications/"
OWN_RECORDS = "/api/user/records"
"""Answers only an authenticated user: the probe of whether a token is still accepted."""


def new_token(client, user, name):
    """Make a personal token on the settings page; returns the Token row."""
    response = client.post(f"{TOKENS_PAGE}tokens/new/", data={"name": name})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return Token.query.join(Client).filter(Client.name == name, Token.user_id == user.id).one()


def authenticated(app, access_token):
    """Whether the REST API takes the token as its user's (a client without the session cookie)."""
    response = app.test_client().get(OWN_RECORDS, headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code in (200, 401, 403), response.status_code
    return response.status_code == 200


def test_a_new_token_expires_after_the_configured_lifetime(app, logged_in_client, researcher):
    assert app.config["DEMOS_PERSONAL_TOKEN_MAX_LIFETIME_DAYS"] == 365
    token = new_token(logged_in_client, researcher, f"laptop-{time.time_ns()}")
    lifetime = token.expires - datetime.now(UTC)
    assert timedelta(days=364, hours=23) < lifetime <= timedelta(days=365)


def test_an_expired_token_is_refused(app, logged_in_client, researcher, monkeypatch):
    monkeypatch.setitem(app.config, "DEMOS_PERSONAL_TOKEN_MAX_LIFETIME_DAYS", 2 / 86400)
    token = new_token(logged_in_client, researcher, f"short-{time.time_ns()}")
    assert authenticated(app, token.access_token)
    time.sleep(2.5)
    assert not authenticated(app, token.access_token)


def test_the_owner_sees_when_each_token_was_last_used(app, logged_in_client, researcher):
    name = f"ci-runner-{time.time_ns()}"
    token = new_token(logged_in_client, researcher, name)
    assert TokenLastUse.query.get(token.id) is None
    before = datetime.now(UTC)
    assert authenticated(app, token.access_token)
    last_use = TokenLastUse.query.get(token.id)
    assert last_use is not None and before <= last_use.last_used <= datetime.now(UTC)

    page = logged_in_client.get(TOKENS_PAGE).get_data(as_text=True)
    item = page[page.index(name) :].split("</li>", 1)[0]
    assert f'datetime="{last_use.last_used.isoformat()}"' in item
    assert "Expires:" in item and token.expires.strftime("%Y-%m-%d") in item


def test_a_token_never_used_shows_never(app, logged_in_client, researcher):
    name = f"unused-{time.time_ns()}"
    new_token(logged_in_client, researcher, name)
    page = logged_in_client.get(TOKENS_PAGE).get_data(as_text=True)
    item = page[page.index(name) :].split("</li>", 1)[0]
    assert "Last used:" in item and "never" in item


def test_a_revoked_token_is_refused_on_the_next_request(app, logged_in_client, researcher):
    token = new_token(logged_in_client, researcher, f"revoke-me-{time.time_ns()}")
    assert authenticated(app, token.access_token)
    token_id, access_token = token.id, token.access_token
    response = logged_in_client.post(f"{TOKENS_PAGE}tokens/{token_id}/", data={"delete": "yes"})
    assert response.status_code == 302
    assert Token.query.get(token_id) is None
    assert TokenLastUse.query.get(token_id) is None  # its usage row went with it
    assert not authenticated(app, access_token)


def test_no_cap_keeps_invenios_never_expiring_tokens(app, logged_in_client, researcher, monkeypatch):
    monkeypatch.setitem(app.config, "DEMOS_PERSONAL_TOKEN_MAX_LIFETIME_DAYS", None)
    token = new_token(logged_in_client, researcher, f"forever-{time.time_ns()}")
    assert token.expires is None
