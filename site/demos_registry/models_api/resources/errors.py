"""Error handlers of the registry's REST resources: every error a JSON answer, never a 500 for bad input.

Invalid input is Invenio's 400 naming the fields; anonymous callers are asked to authenticate
(401 with a Bearer challenge) where others are refused (403).
"""

from flask import current_app, g
from flask_resources import HTTPJSONException, create_error_handler
from invenio_rdm_records.resources.config import error_handlers as rdm_error_handlers
from invenio_records_resources.services.errors import (
    PermissionDeniedError,
    RecordPermissionDeniedError,
)
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from ...conversion.translate import NotTranslatable
from ...errors import SERVICE_UNAVAILABLE_ERROR_HANDLERS
from ...request_limits import HostileJSON
from ...submissions.service import IdempotencyKeyReused, ValidationStillRunning
from ..services.errors import NothingToVisualize
from .ratelimit import RateLimited


class Unauthenticated(HTTPJSONException):
    """401 with a Bearer challenge."""

    code = 401

    def __init__(self):
        """Say how to authenticate."""
        super().__init__(
            code=401, description="Authentication required: send 'Authorization: Bearer <token>'."
        )

    def get_headers(self, environ=None, scope=None):
        """JSON and the challenge."""
        return [
            *super().get_headers(environ, scope),
            ("WWW-Authenticate", 'Bearer realm="DEMOS Model Registry"'),
        ]


def permission_denied(error):
    """401 for anonymous callers (they may log in), 403 for the others."""
    if not g.identity.id:
        return Unauthenticated().get_response()
    return HTTPJSONException(code=403, description="Permission denied.").get_response()


def rate_limited_response(error):
    """429 as JSON, with Retry-After."""
    response = HTTPJSONException(code=429, description=error.description).get_response()
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def unexpected_error(error):
    """Log it and answer 500 in JSON (never an HTML page)."""
    current_app.logger.exception("unexpected error in the models API")
    return HTTPJSONException(code=500, description="Internal server error.").get_response()


def http_error(error):
    """Werkzeug HTTP errors (405, 413, 416, ...) in the API's JSON shape."""
    response = HTTPJSONException(code=error.code, description=error.description).get_response()
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


ERROR_HANDLERS = {
    **rdm_error_handlers,
    Exception: unexpected_error,
    HTTPException: http_error,
    **SERVICE_UNAVAILABLE_ERROR_HANDLERS,
    PermissionDeniedError: permission_denied,
    RecordPermissionDeniedError: permission_denied,
    RateLimited: rate_limited_response,
    HostileJSON: lambda error: error.get_response(),
    FileNotFoundError: create_error_handler(
        HTTPJSONException(code=404, description="The model has no such file.")
    ),
    ValidationStillRunning: create_error_handler(
        lambda error: HTTPJSONException(code=409, description=str(error))
    ),
    IdempotencyKeyReused: create_error_handler(
        lambda error: HTTPJSONException(code=422, description=str(error))
    ),
    NotTranslatable: create_error_handler(
        lambda error: HTTPJSONException(code=422, description=f"Cannot translate the model: {error}.")
    ),
    NothingToVisualize: create_error_handler(
        lambda error: HTTPJSONException(code=404, description=f"Nothing to visualize: {error}.")
    ),
}
"""Error → answer, for every resource of the registry's API (models and instance status)."""


class FieldErrorSchema(Schema):
    """What is wrong with one field."""

    field = fields.String()
    messages = fields.List(fields.String())


class ErrorSchema(Schema):
    """Every error: HTTP status, a message, and the fields at fault if any."""

    class Meta:
        """Unknown fields: kept."""

        unknown = INCLUDE

    status = fields.Integer(required=True)
    message = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))
