"""The OpenAPI 3 document of the DEMOS API, generated from the resources and their schemas.

Each view's ``operation()`` declaration (operations.py) names its query schema, body
schema and responses; the routes come from the same ``operations()`` lists that
build the blueprints, so a route cannot exist without being documented.
"""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .errors import ErrorSchema

API_VERSION = "1.0"

PATH_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
ERROR_DESCRIPTIONS = {
    400: "Invalid parameters or body; the errors name the fields",
    401: "Authentication required (Bearer token)",
    403: "Not permitted for this user",
    404: "No such model (or file, or nothing to show)",
    410: "The model was deleted; its tombstone",
    413: "The upload is larger than the registry accepts",
    415: "Unsupported request content type",
    416: "The requested range is not satisfiable",
    422: "Understood but not possible for this model; the message says why",
    429: "Rate limit exceeded; see Retry-After",
}


def openapi_path(url_prefix, rule):
    """``/models/<pid_value>`` → ``/models/{pid_value}``."""
    return PATH_PARAMETER.sub(r"{\1}", f"{url_prefix}{rule}") or "/"


def error_codes(doc, path, method):
    """The error statuses an operation can answer with."""
    codes = {429, *doc.get("errors", ())}
    if doc["args"] or doc["body"] or method in ("POST", "PUT"):
        codes.add(400)
    if "{pid_value}" in path:
        codes |= {401, 403, 404, 410}
    if doc["auth"]:
        codes |= {401, 403}
    if method == "POST" and doc["body"] is not None:
        codes |= {413, 415}
    if path.endswith("/file"):
        codes.add(416)
    return codes


def response_object(status, schema):
    """The OpenAPI response of one status."""
    if schema is None:
        return {"description": "No content"}
    if schema == "file":
        return {
            "description": "The file (partial content for a Range request), or its translation (format=)",
            "headers": {
                "Digest": {"schema": {"type": "string"}, "description": "sha-256=<base64 digest>"},
                "ETag": {"schema": {"type": "string"}, "description": "the SHA-256 in hex"},
                "Accept-Ranges": {"schema": {"type": "string"}},
                "Translation-Agreement": {
                    "schema": {"type": "string"},
                    "description": "format= only: the cross-engine check's verdict on the translation "
                    "and its number of points, e.g. 'passed; points=5'",
                },
            },
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {}},
            },
        }
    return {
        "description": schema.__doc__.strip().splitlines()[0],
        "content": {"application/json": {"schema": schema}},
    }


def operation_object(resource, method, path, view):
    """The OpenAPI operation of one view."""
    doc = view.openapi
    operation = {
        "operationId": f"{resource.config.blueprint_name}.{view.__name__}",
        "summary": doc["summary"],
        "description": doc["description"],
        "tags": doc["tags"],
        "responses": {},
        "security": [{"bearerAuth": []}] if doc["auth"] else [{}, {"bearerAuth": []}],
    }
    parameters = []
    if "{pid_value}" in path:
        parameters.append(
            {
                "in": "path",
                "name": "pid_value",
                "required": True,
                "schema": {"type": "string"},
                "description": "Record id of the model",
            }
        )
    if doc["args"] is not None:
        parameters.append({"in": "query", "schema": doc["args"]})
    if parameters:
        operation["parameters"] = parameters
    if doc["body"] is not None:
        content_type = "multipart/form-data" if method == "POST" else "application/json"
        operation["requestBody"] = {"required": True, "content": {content_type: {"schema": doc["body"]}}}
    for status, schema in doc["responses"].items():
        operation["responses"][str(status)] = response_object(status, schema)
    for status in sorted(error_codes(doc, path, method)):
        operation["responses"].setdefault(
            str(status),
            {"description": ERROR_DESCRIPTIONS[status], "content": {"application/json": {"schema": "Error"}}},
        )
    return operation


def openapi_document(server_url, resources):
    """The OpenAPI document (a dict) of the given resources, served under ``server_url``."""
    spec = APISpec(
        title="DEMOS Model Registry API",
        version=API_VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Statistical models (likelihoods) of physics results: list, search, filter, "
                "download with checksums, submit, validate. Anonymous callers read public "
                "models; writes need a personal access token (Authorization: Bearer)."
            )
        },
        servers=[{"url": server_url}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths = {}
    for resource in resources:
        for method, rule, view in resource.operations():
            if not hasattr(view, "openapi"):
                continue
            path = openapi_path(resource.config.url_prefix, rule)
            paths.setdefault(path, {})[method.lower()] = operation_object(resource, method, path, view)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
