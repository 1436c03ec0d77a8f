"""Bounds on what one request body may carry: hostile JSON gets a clear 4xx instead of a 500.

Invenio parses JSON bodies with the standard library and stores them in PostgreSQL (JSONB),
so some well-formed-looking input fails deep inside: nesting beyond Python's recursion limit,
integers beyond its digit limit, NUL characters and lone surrogates (which JSONB and UTF-8
refuse), and non-finite numbers (which JSON has not). Every JSON body sent to the registry is
checked once, before any view runs, against these rules and a size limit; ``strict_json`` is
the same check for JSON that arrives another way (the metadata part of ``POST /api/models``).
"""

import json
import math

from flask import current_app, request
from flask_resources import HTTPJSONException

JSON_METHODS = ("POST", "PUT", "PATCH")
LIST_ENDPOINTS = ("/files", "/media-files")
"""Paths whose JSON body is a list (file keys to initialise); every other body is an object."""


class HostileJSON(HTTPJSONException):
    """400 (or 413) naming the offending place of a JSON body."""

    def __init__(self, field, reason, code=400):
        """The field path (``body`` for the document as a whole) and what is wrong there."""
        super().__init__(code=code, description=f"Refused JSON: {field}: {reason}")
        self.field = field
        self.reason = reason

    def get_body(self, environ=None, scope=None):
        """Invenio's validation-error shape: message plus the field and its messages."""
        body = json.loads(super().get_body(environ, scope))
        body["errors"] = [{"field": self.field, "messages": [self.reason]}]
        return json.dumps(body)


def _check_values(value, config, field):
    """Walk the parsed document and name the first place it cannot be stored or processed.

    That is: nested too deeply, holding a value that cannot be stored (NUL characters, lone
    surrogates, NaN and infinite numbers), or a list too long to process in one request.
    """
    max_depth, max_items = config["DEMOS_MAX_JSON_DEPTH"], config["DEMOS_MAX_JSON_ARRAY_ITEMS"]
    pending = [(value, field, 1)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise HostileJSON(path, "contains a NUL character")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise HostileJSON(path, "is not valid Unicode (lone surrogate)") from None
        elif isinstance(item, float) and not math.isfinite(item):
            raise HostileJSON(path, "must be a finite number")
        elif isinstance(item, (dict, list)):
            if depth > max_depth:
                raise HostileJSON(path, f"is nested deeper than {max_depth} levels")
            if isinstance(item, list) and len(item) > max_items:
                raise HostileJSON(path, f"has {len(item)} items, more than the {max_items} accepted")
            if isinstance(item, dict):
                for key, child in item.items():
                    pending.append((key, path, depth))
                    pending.append((child, key if path == "body" else f"{path}.{key}", depth + 1))
            else:
                pending.extend((child, path, depth + 1) for child in item)


def strict_json(text, field="body"):
    """Parse JSON text under the registry's limits; HostileJSON (400) names what is wrong."""
    max_depth = current_app.config["DEMOS_MAX_JSON_DEPTH"]
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise HostileJSON(field, f"is not UTF-8 ({error.reason} at byte {error.start})") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise HostileJSON(field, f"is nested deeper than {max_depth} levels") from None
    except ValueError as error:
        raise HostileJSON(field, f"is not valid JSON ({error})") from None
    if not isinstance(value, (dict, list)):
        raise HostileJSON(field, "must be a JSON object (or an array where a list is expected)")
    _check_values(value, current_app.config, field)
    return value


def check_json_body():
    """Before every view: a JSON body must be small enough and pass ``strict_json``.

    A body without a content type counts as JSON: Invenio's REST API reads it as JSON.
    An array is accepted only where a list is expected (initialising files).
    """
    if request.method not in JSON_METHODS or not (request.is_json or not request.mimetype):
        return
    limit = current_app.config["DEMOS_MAX_JSON_BODY_BYTES"]
    if (request.content_length or 0) > limit:
        raise HostileJSON("body", f"is larger than {limit} bytes", code=413)
    body = request.get_data(cache=True)
    if len(body) > limit:
        raise HostileJSON("body", f"is larger than {limit} bytes", code=413)
    if body and not isinstance(strict_json(body), dict) and not request.path.endswith(LIST_ENDPOINTS):
        raise HostileJSON("body", "must be a JSON object")


def init_request_limits(app):
    """Check JSON bodies before any view of the app runs."""
    app.before_request(check_json_body)
