"""Schemathesis drives every operation of the OpenAPI document against the live test app.

Generated requests (valid and invalid) are sent with the researcher's token; no
answer may be a server error, and every answer must be documented: status code,
content type, headers and body schema. ``/health`` answers 503 by design when a
component is down (the test app has no Celery worker), so only its conformance is
checked. The number of examples is bounded to keep the run short.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CONFORMANCE_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def app_config(app_config):
    """No rate limits: schemathesis' WSGI requests carry no client address to count them by."""
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


@pytest.fixture(scope="module")
def api_schema(app):
    """The served OpenAPI document, bound to the app through WSGI."""
    return schemathesis.openapi.from_wsgi("/api/models/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_operation_conforms_to_the_openapi_document(case, researcher_headers):
    checks = (
        CONFORMANCE_CHECKS if case.operation.path == "/health" else [not_a_server_error, *CONFORMANCE_CHECKS]
    )
    case.call_and_validate(headers=researcher_headers, checks=checks)
