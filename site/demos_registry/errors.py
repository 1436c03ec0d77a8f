"""REST API answers for a backing service that is down: 503 JSON instead of a 500 page.

A search server restart or a dropped database connection is an outage of a
dependency, not a bug of the request: the client gets ``503 Service
Unavailable`` with ``Retry-After`` and a message saying what is down, in the
JSON shape of Invenio's REST errors, and the API works again once the service
is back (dropped database connections are replaced by ``pool_pre_ping``).
"""

from flask import current_app
from flask_resources import HTTPJSONException
from invenio_search.engine import search
from sqlalchemy.exc import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 10
"""What ``Retry-After`` tells a client to wait before trying again."""

SEARCH_UNAVAILABLE = "The search service is unavailable; please try again shortly."
DATABASE_UNAVAILABLE = (
    "The database is unavailable; nothing was stored by this request. Please try again shortly."
)


def service_unavailable(message):
    """A 503 JSON response with Retry-After."""
    response = HTTPJSONException(code=503, description=message).get_response()
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def search_unavailable(error):
    """The search server cannot be reached (refused, reset or timed out)."""
    current_app.logger.error("search service unavailable: %s", error)
    return service_unavailable(SEARCH_UNAVAILABLE)


def database_unavailable(error):
    """The database connection failed or was dropped; the transaction was rolled back."""
    current_app.logger.error("database unavailable: %s", error)
    return service_unavailable(DATABASE_UNAVAILABLE)


SERVICE_UNAVAILABLE_ERROR_HANDLERS = {
    search.exceptions.ConnectionError: search_unavailable,
    OperationalError: database_unavailable,
    InterfaceError: database_unavailable,
}
"""Exception → handler; resources with a catch-all handler can include these to keep the 503."""


def register_service_unavailable_handlers(app):
    """Answer outages of the search server and the database with 503 JSON on this app."""
    for exception, handler in SERVICE_UNAVAILABLE_ERROR_HANDLERS.items():
        app.register_error_handler(exception, handler)
