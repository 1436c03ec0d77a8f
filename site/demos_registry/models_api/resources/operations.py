"""Resources whose routes are a list of documented operations: one list builds the blueprint and the OpenAPI.

Every view declares its OpenAPI operation with ``operation()``; ``OperationsResource.operations()``
lists (method, route, view), so a route cannot exist without being in the document (openapi.py).
"""

import json
from typing import ClassVar

from flask import current_app, request
from flask_resources import Resource, request_parser, route

from .ratelimit import rate_limited

JSON = "application/json"


def operation(
    summary, responses, args=None, body=None, auth=False, description=None, tags=("models",), errors=()
):
    """Declare a view's OpenAPI operation; ``args`` (a MultiDictSchema) also parses the query string.

    ``errors``: error statuses of this operation beyond those every operation of its kind has.
    """

    def decorator(view):
        if args is not None:
            view = request_parser(args, location="args")(view)
        view.openapi = {
            "summary": summary,
            "description": description or summary,
            "responses": responses,
            "args": args,
            "body": body,
            "auth": auth,
            "tags": list(tags),
            "errors": set(errors),
        }
        return view

    return decorator


def json_response(body, status=200, headers=None):
    """A JSON answer (UTF-8 as is, not escaped)."""
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=JSON, headers=headers
    )


def api_url(path=""):
    """Absolute URL of an API path, as the caller reached the API."""
    return f"{request.url_root.rstrip('/')}{path}"


class OperationsResource(Resource):
    """A rate-limited resource over a service whose routes come from ``operations()``."""

    decorators: ClassVar[list] = [rate_limited]

    def __init__(self, config, service):
        """Resource over a service."""
        super().__init__(config)
        self.service = service

    def operations(self):
        """(HTTP method, route, view) of every endpoint."""
        raise NotImplementedError

    def create_url_rules(self):
        """One rule per operation."""
        return [route(method, rule, view) for method, rule, view in self.operations()]
