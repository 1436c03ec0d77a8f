"""REST resources of ``/api/models`` and of the registry's ``/api/health``, ``/info``, ``/version``.

flask-resources ``Resource`` classes configured by ``ResourceConfig`` classes, as
Invenio's own resources are; every view declares its OpenAPI operation with
``operation()`` so that openapi.py documents exactly the routes that exist.
"""

import base64
import json
from functools import cache, lru_cache, wraps
from urllib.parse import urlencode

from flask import current_app, g, render_template_string, request
from flask_resources import (
    HTTPJSONException,
    Resource,
    ResourceConfig,
    create_error_handler,
    request_parser,
    resource_requestctx,
    route,
)
from invenio_app_rdm import __version__ as invenio_app_rdm_version
from invenio_rdm_records.resources.config import error_handlers as rdm_error_handlers
from invenio_records_resources.services.errors import (
    PermissionDeniedError,
    RecordPermissionDeniedError,
)
from werkzeug.exceptions import HTTPException, UnsupportedMediaType
from werkzeug.wsgi import wrap_file

from .. import __version__
from ..errors import SERVICE_UNAVAILABLE_ERROR_HANDLERS
from ..registry_entries.entries import registry_entry
from ..request_limits import HostileJSON, strict_json
from ..submissions.service import IdempotencyKeyReused, ValidationStillRunning
from . import schemas
from .health import health
from .openapi import API_VERSION, openapi_document
from .ratelimit import RateLimited, rate_limited
from .service import MissingFiles, ModelsService, NothingToVisualize

JSON = "application/json"
SWAGGER_UI_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DEMOS Model Registry API</title>
<link rel="stylesheet" href="{{ static }}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{{ static }}/swagger-ui-bundle.js"></script>
<script src="{{ static }}/swagger-ui-init.js" data-spec-url="{{ spec_url }}"></script>
</body></html>
"""


def operation(summary, responses, args=None, body=None, auth=False, description=None, tags=("models",)):
    """Declare a view's OpenAPI operation; ``args`` (a MultiDictSchema) also parses the query string."""

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
        }
        return view

    return decorator


@cache
def schema_instance(schema):
    """One instance per response schema: building one copies all its fields, dumping changes nothing."""
    return schema()


def json_response(data, status=200, schema=None, headers=None):
    """A JSON response, shaped by its schema when it has one."""
    body = schema_instance(schema).dump(data) if schema is not None else data
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=JSON, headers=headers
    )


def require_authentication(view):
    """Writes need a token (or a session): anonymous callers get 401 before anything else."""

    @wraps(view)
    def authenticated_view(*args, **kwargs):
        if not g.identity.id:
            raise Unauthenticated()
        return view(*args, **kwargs)

    return authenticated_view


class Unauthenticated(HTTPJSONException):
    """401 with a Bearer challenge."""

    code = 401

    def __init__(self):
        """Say how to authenticate."""
        super().__init__(code=401, description="Authentication required: send 'Authorization: Bearer <token>'.")

    def get_headers(self, environ=None, scope=None):
        """JSON and the challenge."""
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", 'Bearer realm="DEMOS Model Registry"')]


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
    NothingToVisualize: create_error_handler(
        lambda error: HTTPJSONException(code=404, description=f"Nothing to visualize: {error}.")
    ),
}


class ModelsResourceConfig(ResourceConfig):
    """Routes, errors and limits of ``/api/models``."""

    blueprint_name = "demos_models"
    url_prefix = "/models"
    routes = {
        "list": "",
        "search": "/search",
        "filter": "/filter",
        "golden": "/golden",
        "tags": "/tags",
        "openapi": "/openapi.json",
        "docs": "/docs",
        "item": "/<pid_value>",
        "file": "/<pid_value>/file",
        "metadata": "/<pid_value>/metadata",
        "validate": "/<pid_value>/validate",
        "validation": "/<pid_value>/validation",
        "visualize": "/<pid_value>/visualize",
    }
    error_handlers = ERROR_HANDLERS


class SystemResourceConfig(ResourceConfig):
    """Routes of the registry's health, info and version endpoints."""

    blueprint_name = "demos_system"
    url_prefix = ""
    routes = {"health": "/health", "info": "/info", "version": "/version"}
    error_handlers = ERROR_HANDLERS


def api_url(path=""):
    """Absolute URL of an API path, as the caller reached the API."""
    return f"{request.url_root.rstrip('/')}{path}"


def model_item(record, request_id=None):
    """The DEMOS shape of a record: registry entry, id, status, validation and links."""
    record_id = record["id"]
    base = api_url(f"/models/{record_id}")
    validation = record.get("custom_fields", {}).get("demos:validation") or {}
    review = record.get("parent", {}).get("review") or {}
    request_id = request_id or review.get("id")
    if record.get("is_published"):
        status = "published"
    elif request_id and review.get("status", "submitted") in ("submitted", "accepted"):
        status = "in_review"
    else:
        status = "draft"
    return {
        "id": record_id,
        **registry_entry(record, current_app.config["SITE_UI_URL"]),
        "status": status,
        "validation": {"status": validation.get("status"), "updated": validation.get("updated")},
        "community_request": request_id,
        "links": {
            "self": base,
            "html": f"{current_app.config['SITE_UI_URL']}/records/{record_id}",
            "record": api_url(f"/records/{record_id}"),
            "file": f"{base}/file",
            "metadata": f"{base}/metadata",
            "validate": f"{base}/validate",
            "validation": f"{base}/validation",
            "visualize": f"{base}/visualize",
        },
    }


def page_links(page, size, total):
    """Links to this, the previous and the next page (same query)."""
    args = request.args.to_dict(flat=False)

    def link(number):
        query = {**args, "page": [str(number)], "size": [str(size)]}
        return f"{request.base_url}?{urlencode(query, doseq=True)}"

    links = {"self": link(page)}
    if page > 1:
        links["prev"] = link(page - 1)
    if page * size < min(total, schemas.MAX_RESULT_WINDOW):
        links["next"] = link(page + 1)
    return links


class OperationsResource(Resource):
    """A rate-limited resource over a service whose routes come from ``operations()``.

    The same list of operations builds the blueprint and the OpenAPI document.
    """

    decorators = [rate_limited]

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


class ModelsResource(OperationsResource):
    """``/api/models``: the DEMOS models API."""

    def operations(self):
        """(HTTP method, route, view) of every endpoint: the blueprint and the OpenAPI document."""
        routes = self.config.routes
        return [
            ("GET", routes["list"], self.list_models),
            ("POST", routes["list"], self.create),
            ("GET", routes["search"], self.search),
            ("GET", routes["filter"], self.filter),
            ("GET", routes["golden"], self.golden),
            ("GET", routes["tags"], self.tags),
            ("GET", routes["openapi"], self.openapi_document),
            ("GET", routes["docs"], self.docs),
            ("GET", routes["item"], self.read),
            ("PUT", routes["item"], self.update),
            ("DELETE", routes["item"], self.delete),
            ("GET", routes["file"], self.download),
            ("GET", routes["metadata"], self.metadata),
            ("GET", routes["validate"], self.validation_how_to),
            ("POST", routes["validate"], self.validate),
            ("GET", routes["validation"], self.validation),
            ("GET", routes["visualize"], self.visualize),
        ]

    def _page(self, filters=None, q=None):
        args = resource_requestctx.args
        hits, total = self.service.search(
            g.identity, args["page"], args["size"], q=q, sort=args.get("sort"), filters=filters
        )
        page = {
            "hits": [model_item(hit) for hit in hits],
            "total": total,
            "page": args["page"],
            "size": args["size"],
            "links": page_links(args["page"], args["size"], total),
        }
        return json_response(page, schema=schemas.ModelListSchema)

    @operation("List published models", {200: schemas.ModelListSchema}, args=schemas.PaginationArgsSchema)
    def list_models(self):
        """Newest first unless sorted otherwise."""
        return self._page()

    @operation(
        "Search models (Invenio query syntax)",
        {200: schemas.ModelListSchema},
        args=schemas.SearchArgsSchema,
        description="Full text over titles, descriptions and DEMOS fields, or fielded queries such as "
        "custom_fields.demos\\:domain.id:neutrino.",
    )
    def search(self):
        """Query in Invenio's syntax."""
        return self._page(q=resource_requestctx.args["q"])

    @operation("Filter models by DEMOS facets", {200: schemas.ModelListSchema}, args=schemas.FilterArgsSchema)
    def filter(self):
        """Facet filters: domain, tag, engine, status (validation), collaboration, format."""
        args = resource_requestctx.args
        filters = {name: args[name] for name in ("domain", "tag", "engine", "status", "collaboration", "format") if name in args}
        return self._page(filters=filters)

    @operation(
        "Golden list: every published model whose validation passed",
        {200: schemas.GoldenListSchema},
        description="One JSON document with the registry entry and SHA-256 of every validated model.",
    )
    def golden(self):
        """Seed 004's golden JSON."""
        return json_response(self.service.golden(g.identity), schema=schemas.GoldenListSchema)

    @operation("Tag autocomplete", {200: schemas.TagListSchema}, args=schemas.TagsArgsSchema)
    def tags(self):
        """Most used tags starting with the prefix."""
        args = resource_requestctx.args
        tags = self.service.tags(g.identity, args["prefix"], args["size"])
        return json_response({"prefix": args["prefix"], "tags": tags}, schema=schemas.TagListSchema)

    def openapi_document(self):
        """The OpenAPI 3 document of this API, generated from the code."""
        return json_response(cached_openapi_document(api_url()))

    def docs(self):
        """Swagger UI over the OpenAPI document (assets served from this package)."""
        page = render_template_string(
            SWAGGER_UI_PAGE,
            static=api_url("/models/docs/static"),
            spec_url=api_url("/models/openapi.json"),
        )
        return current_app.response_class(page, mimetype="text/html")

    @operation(
        "Submit a model (files + metadata)",
        {201: schemas.ModelSchema},
        args=schemas.CreateArgsSchema,
        body=schemas.ModelUploadSchema,
        auth=True,
        description="Creates a draft with the files and submits it to the community of its domain "
        "(demos-<domain>) for review; with publish=true it is published at once where the caller "
        "may publish, and its inclusion in the community is requested. Any number of 'file' parts. "
        "An 'Idempotency-Key' header (e.g. a UUID) makes retries safe: the same key and request within "
        "24 hours answer the model the first request created (header Idempotent-Replayed: true); the "
        "same key with a different request is a 422.",
    )
    @require_authentication
    def create(self):
        """Multipart upload of the model files and their metadata."""
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType("Send multipart/form-data with a 'metadata' part and 'file' parts.")
        limit = current_app.config["DEMOS_MODELS_API_MAX_UPLOAD_FILES"]
        files = request.files.getlist("file") + request.files.getlist("files")
        if len(files) > limit:
            raise MissingFiles({"file": [f"At most {limit} files per model."]})
        record, request_id, notes = self.service.create(
            g.identity,
            self._metadata_part(),
            [(upload.filename, upload.stream) for upload in files],
            publish=resource_requestctx.args["publish"],
            idempotency_key=self._idempotency_key(),
        )
        headers = {"Idempotent-Replayed": "true"} if notes.get("replayed") else None
        body = {**model_item(record, request_id), "submission": notes}
        return json_response(body, 201, schemas.ModelSchema, headers=headers)

    @staticmethod
    def _idempotency_key():
        """The request's Idempotency-Key header (None without one); 400 when it is not a short printable text."""
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        if not key.strip() or len(key) > 255 or not key.isprintable():
            raise MissingFiles({"Idempotency-Key": ["Send 1 to 255 printable characters, e.g. a UUID."]})
        return key

    @staticmethod
    def _metadata_part():
        text = request.form.get("metadata")
        if text is None and "metadata" in request.files:
            text = request.files["metadata"].read().decode("utf-8", errors="replace")
        if not text:
            raise MissingFiles({"metadata": ["Missing data for required field."]})
        return strict_json(text, field="metadata")

    @operation("Get a model", {200: schemas.ModelSchema}, args=schemas.VersionArgsSchema)
    def read(self):
        """A published model, or the caller's own draft."""
        return json_response(model_item(self._record()), schema=schemas.ModelSchema)

    @operation(
        "Update a model's metadata",
        {200: schemas.ModelSchema},
        body=schemas.ModelUpdateSchema,
        auth=True,
        description="Only the fields sent change; a published model is edited and published again.",
    )
    @require_authentication
    def update(self):
        """Change metadata (registry-entry keys or record data)."""
        payload = request.get_json(silent=True)
        record = self.service.update(g.identity, self._pid(), payload)
        return json_response(model_item(record), schema=schemas.ModelSchema)

    @operation(
        "Delete a model (administrators)",
        {204: None},
        args=schemas.DeleteArgsSchema,
        auth=True,
        description="Invenio's record deletion: the record becomes a tombstone, its DOI stays registered.",
    )
    @require_authentication
    def delete(self):
        """Tombstone the record."""
        args = resource_requestctx.args
        self.service.delete(g.identity, self._pid(), reason=args.get("reason"), note=args.get("note"))
        return current_app.response_class(status=204)

    @operation(
        "Download the model file",
        {200: "file", 206: "file"},
        args=schemas.FileArgsSchema,
        description="Streams the file; supports Range requests; Digest (sha-256) and ETag headers.",
    )
    def download(self):
        """The model file with its SHA-256."""
        record = self._record()
        item = self.service.file_item(g.identity, record, resource_requestctx.args.get("key"))
        metadata = item.to_dict()
        key = metadata["key"]
        checksums = {c["key"]: c for c in record.get("custom_fields", {}).get("demos:checksums", [])}
        stream = item.get_stream("rb")
        response = current_app.response_class(
            wrap_file(request.environ, stream),
            mimetype=metadata.get("mimetype") or "application/octet-stream",
            direct_passthrough=True,
        )
        response.content_length = metadata.get("size")
        response.headers.set("Content-Disposition", "attachment", filename=key)
        sha256 = checksums.get(key, {}).get("sha256")
        if sha256:
            response.set_etag(sha256)
            response.headers["Digest"] = f"sha-256={_base64_of_hex(sha256)}"
            response.headers["X-Checksum-SHA256"] = sha256
        return response.make_conditional(request.environ, accept_ranges=True, complete_length=metadata.get("size"))

    @operation("The model's registry entry (seed JSON)", {200: schemas.RegistryEntrySchema}, args=schemas.VersionArgsSchema)
    def metadata(self):
        """Registry-entry JSON only."""
        entry = registry_entry(self._record(), current_app.config["SITE_UI_URL"])
        return json_response(entry, schema=schemas.RegistryEntrySchema)

    @operation(
        "Queue a re-validation",
        {202: schemas.ValidationQueuedSchema},
        auth=True,
        description="Owners, curators and administrators; poll the validation link for the result.",
    )
    @require_authentication
    def validate(self):
        """Ask for a new validation."""
        pid = self._pid()
        state = self.service.queue_validation(g.identity, pid)
        body = {
            "id": pid,
            "status": "queued",
            "validation": {"status": state.get("status"), "updated": state.get("updated")},
            "links": {"validation": api_url(f"/models/{pid}/validation")},
        }
        return json_response(body, 202, schemas.ValidationQueuedSchema, headers={"Location": body["links"]["validation"]})

    @operation("Validation state of a model", {200: schemas.ValidationStateSchema}, args=schemas.VersionArgsSchema)
    def validation(self):
        """The stored demos:validation."""
        return json_response(self._validation_state(), schema=schemas.ValidationStateSchema)

    @operation(
        "Validation state, and how to run a validation",
        {200: schemas.ValidationStateSchema},
        args=schemas.VersionArgsSchema,
        description="The seed asks for validation with GET. A GET changes nothing: it answers the current "
        "validation state and how to queue a new run (POST to the same URL with a token: owners, curators "
        "and administrators).",
    )
    def validation_how_to(self):
        """The state, and the POST that queues a run."""
        body = self._validation_state()
        body["run"] = {
            "method": "POST",
            "href": api_url(f"/models/{body['id']}/validate"),
            "description": "Queues a new validation (owners, curators, administrators; send 'Authorization: "
            "Bearer <token>'); poll the validation link for the verdict.",
        }
        return json_response(body, schema=schemas.ValidationStateSchema)

    def _validation_state(self):
        record = self._record()
        validation = record.get("custom_fields", {}).get("demos:validation")
        return {
            "id": record["id"],
            "status": (validation or {}).get("status"),
            "validation": validation,
            "links": {"model": api_url(f"/models/{record['id']}"), "validation": api_url(f"/models/{record['id']}/validation")},
        }

    @operation("Plots and parameter table from the last validation", {200: schemas.VisualizationSchema}, args=schemas.VersionArgsSchema)
    def visualize(self):
        """What the validation report shows of the model."""
        return json_response(self.service.visualization(self._record()), schema=schemas.VisualizationSchema)

    def _pid(self):
        """The record id of the addressed model: a record id, or a model id (``?version=`` picks one)."""
        return self.service.record_id(g.identity, request.view_args["pid_value"], request.args.get("version"))

    def _record(self):
        return self.service.read(g.identity, self._pid())


def _base64_of_hex(hex_digest):
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


class SystemResource(OperationsResource):
    """``/api/health``, ``/api/info`` and ``/api/version``."""

    def operations(self):
        """(HTTP method, route, view) of every endpoint."""
        routes = self.config.routes
        return [
            ("GET", routes["health"], self.health),
            ("GET", routes["info"], self.info),
            ("GET", routes["version"], self.version),
        ]

    @operation(
        "Health of the registry and its services",
        {200: schemas.HealthSchema, 503: schemas.HealthSchema},
        tags=("system",),
        description="Database, search, broker, worker and storage, each checked; 503 if any is down.",
    )
    def health(self):
        """Each component's state."""
        report = health()
        return json_response(report, 200 if report["status"] == "ok" else 503, schemas.HealthSchema)

    @operation("What this registry is", {200: schemas.InfoSchema}, tags=("system",))
    def info(self):
        """Name, versions, model counts and API links."""
        total, domains = self.service.count_by_domain(g.identity)
        body = {
            **self._versions(),
            "name": current_app.config["THEME_SITENAME"],
            "description": "Registry of statistical models (likelihoods) of physics results.",
            "site_url": current_app.config["SITE_UI_URL"],
            "models": total,
            "domains": domains,
            "links": {
                "models": api_url("/models"),
                "golden": api_url("/models/golden"),
                "openapi": api_url("/models/openapi.json"),
                "docs": api_url("/models/docs"),
                "health": api_url("/health"),
                "records": api_url("/records"),
                "oai_pmh": f"{current_app.config['SITE_UI_URL']}/oai2d",
            },
        }
        return json_response(body, schema=schemas.InfoSchema)

    @operation("Versions", {200: schemas.VersionSchema}, tags=("system",))
    def version(self):
        """Registry, API and InvenioRDM versions."""
        return json_response(self._versions(), schema=schemas.VersionSchema)

    @staticmethod
    def _versions():
        return {"version": __version__, "api_version": API_VERSION, "invenio_app_rdm": invenio_app_rdm_version}


@lru_cache(maxsize=8)
def cached_openapi_document(server_url):
    """The OpenAPI document, built once per server URL the API is reached under."""
    return openapi_document(server_url, resources())


def resources():
    """The API's resources over one models service."""
    service = ModelsService()
    return [
        ModelsResource(ModelsResourceConfig, service),
        SystemResource(SystemResourceConfig, service),
    ]

