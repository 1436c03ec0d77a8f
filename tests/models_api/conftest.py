"""Fixtures of the /api/models tests: rate limits on, a live server, tokens of three kinds of user, a model."""

import pytest
from api_helpers import bearer, demo_model_upload, user_with_token
from invenio_accounts.proxies import current_datastore
from invenio_app.ext import limiter
from invenio_db import db as invenio_db
from invenio_oauth2server.models import Token
from rest_helpers import refresh_records_index


@pytest.fixture(scope="module")
def app_config(app_config):
    """Rate limits on (pytest-invenio turns them off) with generous API budgets, a quick worker ping."""
    app_config.update(
        RATELIMIT_ENABLED=True,
        DEMOS_MODELS_API_RATELIMIT="100000 per hour",
        DEMOS_MODELS_API_RATELIMIT_AUTHENTICATED="100000 per hour",
        DEMOS_MODELS_API_HEALTH_TIMEOUT=0.5,
    )
    return app_config


@pytest.fixture(scope="module", autouse=True)
def unused_rate_limit_budgets(app):
    """Each module starts with Invenio's application-wide budgets unused.

    They count per IP address in the tests' Redis (a moving minute: 60 requests of a guest),
    so the modules before would otherwise leave this one a few requests, or none.
    """
    limiter.reset()


@pytest.fixture(scope="module")
def researcher_headers(researcher):
    """The researcher's token."""
    return bearer(researcher.test_token)


@pytest.fixture(scope="module")
def other_headers(app):
    """A second researcher, owner of nothing the tests make."""
    return bearer(user_with_token("other@demos.test", "other-researcher"))


@pytest.fixture(scope="module")
def admin_headers(app):
    """The administrator account that set-up creates."""
    admin = current_datastore.get_user("admin@demos.local")
    token = Token.create_personal("admin-api-tests", admin.id, scopes=[], is_internal=False)
    invenio_db.session.commit()
    return bearer(token.access_token)


@pytest.fixture(scope="module")
def published_model(app, researcher_headers):
    """A model the researcher published through the API."""
    response = app.test_client().post(
        "/api/models?publish=true",
        headers=researcher_headers,
        data=demo_model_upload(name="API fixture model", version="9.9.9"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    refresh_records_index()
    return response.json


@pytest.fixture(scope="module")
def demo_record_id(app):
    """The record id of one published demo model."""
    refresh_records_index()
    response = app.test_client().get("/api/models", query_string={"size": 1})
    return response.json["hits"][0]["id"]
