"""``/api/models``: thin views that parse the request, call the models service and answer JSON."""

import base64
from functools import lru_cache
from urllib.parse import urlencode

from flask import current_app, g, request
from flask_resources import resource_requestctx
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.wsgi import wrap_file

from ...proxies import current_demos_registry
from ...request_limits import strict_json
from ..services.errors import field_error
from ..services.schemas import (
    GoldenListSchema,
    LineageSchema,
    ModelListSchema,
    ModelSchema,
    RegistryEntrySchema,
    StatusSchema,
    TagListSchema,
    TranslationSchema,
    ValidationQueuedSchema,
    ValidationStateSchema,
    VisualizationSchema,
    dump,
)
from . import request_schemas as args_schemas
from .docs import swagger_ui_page
from .openapi import openapi_document
from .operations import OperationsResource, api_url, json_response, operation


def page_links(page, size, total):
    """Links to this, the previous and the next page: the same URL and query, another page."""
    args = request.args.to_dict(flat=False)

    def link(number):
        query = {**args, "page": [str(number)], "size": [str(size)]}
        return f"{request.base_url}?{urlencode(query, doseq=True)}"

    links = {"self": link(page)}
    if page > 1:
        links["prev"] = link(page - 1)
    if page * size < min(total, args_schemas.MAX_RESULT_WINDOW):
        links["next"] = link(page + 1)
    return links


@lru_cache(maxsize=8)
def cached_openapi_document(server_url, resources):
    """The OpenAPI document of the API's resources, built once per server URL it is reached under."""
    return openapi_document(server_url, resources)


def base64_of_hex(hex_digest):
    """A hex digest in base64 (the ``Digest`` header's form)."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


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
            ("GET", routes["status"], self.status),
            ("GET", routes["openapi"], self.openapi_document),
            ("GET", routes["docs"], self.docs),
            ("GET", routes["item"], self.read),
            ("PUT", routes["item"], self.update),
            ("DELETE", routes["item"], self.delete),
            ("GET", routes["file"], self.download),
            ("GET", routes["translation"], self.translation),
            ("GET", routes["metadata"], self.metadata),
            ("GET", routes["validate"], self.validation_how_to),
            ("POST", routes["validate"], self.validate),
            ("GET", routes["validation"], self.validation),
            ("GET", routes["visualize"], self.visualize),
            ("GET", routes["lineage"], self.lineage),
        ]

    @staticmethod
    def _addressed():
        """The addressed model: a record id or a model id, and ``?version=`` for a model id."""
        return request.view_args["pid_value"], request.args.get("version")

    def _page(self, filters=None, q=None, regex=None):
        args = resource_requestctx.args
        page, size = args["page"], args["size"]
        models = self.service.search(
            g.identity,
            page,
            size,
            q=q,
            sort=args.get("sort"),
            filters=filters,
            min_quality=args.get("min_quality"),
            regex=regex,
        )
        return json_response({**models.to_dict(), "links": page_links(page, size, models.total)})

    @operation("List published models", {200: ModelListSchema}, args=args_schemas.PaginationArgsSchema)
    def list_models(self):
        """Newest first unless sorted otherwise."""
        return self._page()

    @operation(
        "Search models (Invenio query syntax, or a regular expression over names and tags)",
        {200: ModelListSchema},
        args=args_schemas.SearchArgsSchema,
        description="Full text over titles, descriptions and DEMOS fields, or fielded queries such as "
        "custom_fields.demos\\:domain.id:neutrino; regex= matches whole names and tags (bounded).",
    )
    def search(self):
        """Query in Invenio's syntax and/or a regular expression."""
        args = resource_requestctx.args
        return self._page(q=args.get("q"), regex=args.get("regex"))

    @operation("Filter models by DEMOS facets", {200: ModelListSchema}, args=args_schemas.FilterArgsSchema)
    def filter(self):
        """Facet filters: domain, tag, engine, status (validation), collaboration, format."""
        args = resource_requestctx.args
        filters = {
            name: args[name]
            for name in ("domain", "tag", "engine", "status", "collaboration", "format")
            if name in args
        }
        return self._page(filters=filters)

    @operation(
        "Golden list: every published model whose validation passed",
        {200: GoldenListSchema},
        description="One JSON document with the registry entry and SHA-256 of every validated model.",
    )
    def golden(self):
        """Seed 004's golden JSON."""
        return json_response(self.service.golden(g.identity))

    @operation("Tag autocomplete", {200: TagListSchema}, args=args_schemas.TagsArgsSchema)
    def tags(self):
        """Most used tags starting with the prefix."""
        args = resource_requestctx.args
        return json_response(self.service.tags(g.identity, args["prefix"], args["size"]))

    @operation(
        "Status dashboard (administrators)",
        {200: StatusSchema},
        auth=True,
        description="Last hour and day: submissions, validations by verdict (and the models that failed), "
        "answers and error rate of /api/models; now: messages waiting per queue, the oldest waiting "
        "validation, workers, DOI registrations pending or rejected, with links to the records.",
    )
    def status(self):
        """What an administrator checks first."""
        return json_response(self.service.status(g.identity))

    def openapi_document(self):
        """The OpenAPI 3 document of the registry's API (every resource), generated from the code."""
        return json_response(cached_openapi_document(api_url(), current_demos_registry.api_resources))

    def docs(self):
        """Swagger UI over the OpenAPI document (assets served from this package)."""
        return swagger_ui_page()

    @operation(
        "Submit a model (files + metadata)",
        {201: ModelSchema},
        args=args_schemas.CreateArgsSchema,
        body=args_schemas.ModelUploadSchema,
        auth=True,
        description="Creates a draft with the files and submits it to the community of its domain "
        "(demos-<domain>) for review; with publish=true it is published at once where the caller "
        "may publish, and its inclusion in the community is requested. Any number of 'file' parts. "
        "An 'Idempotency-Key' header (e.g. a UUID) makes retries safe: the same key and request within "
        "24 hours answer the model the first request created (header Idempotent-Replayed: true); the "
        "same key with a different request is a 422.",
    )
    def create(self):
        """Multipart upload of the model files and their metadata."""
        # Anonymous callers are asked to authenticate before their upload is looked at.
        self.service.require_permission(g.identity, "create")
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType("Send multipart/form-data with a 'metadata' part and 'file' parts.")
        limit = self.config.max_upload_files
        files = request.files.getlist("file") + request.files.getlist("files")
        if len(files) > limit:
            raise field_error("file", f"At most {limit} files per model.")
        model = self.service.create(
            g.identity,
            self._metadata_part(),
            [(upload.filename, upload.stream) for upload in files],
            publish=resource_requestctx.args["publish"],
            idempotency_key=self._idempotency_key(),
        )
        headers = {"Idempotent-Replayed": "true"} if model.notes.get("replayed") else None
        return json_response(model.to_dict(), 201, headers=headers)

    @staticmethod
    def _idempotency_key():
        """The request's Idempotency-Key header (None without one); 400 when it is not a short printable text."""
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        if not key.strip() or len(key) > 255 or not key.isprintable():
            raise field_error("Idempotency-Key", "Send 1 to 255 printable characters, e.g. a UUID.")
        return key

    @staticmethod
    def _metadata_part():
        text = request.form.get("metadata")
        if text is None and "metadata" in request.files:
            text = request.files["metadata"].read().decode("utf-8", errors="replace")
        if not text:
            raise field_error("metadata", "Missing data for required field.")
        return strict_json(text, field="metadata")

    @operation("Get a model", {200: ModelSchema}, args=args_schemas.VersionArgsSchema)
    def read(self):
        """A published model, or the caller's own draft."""
        return json_response(self.service.read(g.identity, *self._addressed()).to_dict())

    @operation(
        "Update a model's metadata",
        {200: ModelSchema},
        body=args_schemas.ModelUpdateSchema,
        auth=True,
        description="Only the fields sent change; a published model is edited and published again.",
    )
    def update(self):
        """Change metadata (registry-entry keys or record data)."""
        id_, version = self._addressed()
        payload = request.get_json(silent=True)
        return json_response(self.service.update(g.identity, id_, payload, version=version).to_dict())

    @operation(
        "Delete a model (administrators)",
        {204: None},
        args=args_schemas.DeleteArgsSchema,
        auth=True,
        description="Invenio's record deletion: the record becomes a tombstone, its DOI stays registered.",
    )
    def delete(self):
        """Tombstone the record."""
        args = resource_requestctx.args
        id_, version = self._addressed()
        self.service.delete(g.identity, id_, version, reason=args.get("reason"), note=args.get("note"))
        return current_app.response_class(status=204)

    @operation(
        "Download the model file, or its HS3 / pyhf translation",
        {200: "file", 206: "file"},
        args=args_schemas.FileArgsSchema,
        errors=(422,),
        description="Streams the file; supports Range requests; Digest (sha-256) and ETag headers. "
        "With format=hs3 or format=pyhf a validated model's file is translated by the validation "
        "engine's translators (422 with the reason when it cannot be); the Translation-Agreement "
        "header gives the cross-engine check's verdict on that translation, .../translation the details.",
    )
    def download(self):
        """The model file with its SHA-256, or its translation."""
        args = resource_requestctx.args
        if "format" in args:
            return self._translated_file(args["format"], args.get("key"))
        item, sha256 = self.service.file(g.identity, *self._addressed(), key=args.get("key"))
        metadata = item.to_dict()
        response = current_app.response_class(
            wrap_file(request.environ, item.get_stream("rb")),
            mimetype=metadata.get("mimetype") or "application/octet-stream",
            direct_passthrough=True,
        )
        response.content_length = metadata.get("size")
        response.headers.set("Content-Disposition", "attachment", filename=metadata["key"])
        if sha256:
            response.set_etag(sha256)
            response.headers["Digest"] = f"sha-256={base64_of_hex(sha256)}"
            response.headers["X-Checksum-SHA256"] = sha256
        return response.make_conditional(
            request.environ, accept_ranges=True, complete_length=metadata.get("size")
        )

    def _translated_file(self, target, key):
        """The translated document as a JSON attachment, with the agreement of the translation."""
        id_, version = self._addressed()
        translation = self.service.translation(g.identity, id_, target, version=version, key=key)
        agreement = translation["agreement"]
        stem = translation["key"].rsplit(".", 1)[0]
        response = json_response(translation["document"])
        response.headers.set("Content-Disposition", "attachment", filename=f"{stem}.{target}.json")
        response.headers["Translation-Agreement"] = (
            f"{agreement['status']}; points={len(agreement['points'])}"
        )
        query = urlencode({"format": target, **({"key": key} if key else {})})
        response.headers["Link"] = f'<{translation["links"]["translation"]}?{query}>; rel="describedby"'
        return response

    @operation(
        "How a model file translates to HS3 or pyhf, and how well the engines agree on it",
        {200: TranslationSchema},
        args=args_schemas.TranslationArgsSchema,
        errors=(422,),
        description="The companion of GET .../file?format=: source and target format and the validation's "
        "cross-engine check of the translation (its points: parameter values and −2Δ ln L per engine).",
    )
    def translation(self):
        """The translation's metadata, without the document."""
        args = resource_requestctx.args
        id_, version = self._addressed()
        translation = self.service.translation(
            g.identity, id_, args["format"], version=version, key=args.get("key")
        )
        return json_response(dump(TranslationSchema, translation))

    @operation(
        "The model's registry entry (seed JSON)",
        {200: RegistryEntrySchema},
        args=args_schemas.VersionArgsSchema,
    )
    def metadata(self):
        """Registry-entry JSON only."""
        return json_response(self.service.registry_entry(g.identity, *self._addressed()))

    @operation(
        "Queue a re-validation",
        {202: ValidationQueuedSchema},
        auth=True,
        description="Owners, curators and administrators; poll the validation link for the result.",
    )
    def validate(self):
        """Ask for a new validation."""
        queued = self.service.queue_validation(g.identity, *self._addressed())
        return json_response(queued, 202, headers={"Location": queued["links"]["validation"]})

    @operation(
        "Validation state of a model", {200: ValidationStateSchema}, args=args_schemas.VersionArgsSchema
    )
    def validation(self):
        """The stored demos:validation."""
        return json_response(self.service.validation_state(g.identity, *self._addressed()))

    @operation(
        "Validation state, and how to run a validation",
        {200: ValidationStateSchema},
        args=args_schemas.VersionArgsSchema,
        description="The seed asks for validation with GET. A GET changes nothing: it answers the current "
        "validation state and how to queue a new run (POST to the same URL with a token: owners, curators "
        "and administrators).",
    )
    def validation_how_to(self):
        """The state, and the POST that queues a run."""
        return json_response(self.service.validation_state(g.identity, *self._addressed(), how_to_run=True))

    @operation(
        "Plots and parameter table from the last validation",
        {200: VisualizationSchema},
        args=args_schemas.VersionArgsSchema,
    )
    def visualize(self):
        """What the validation report shows of the model."""
        return json_response(self.service.visualization(g.identity, *self._addressed()))

    @operation(
        "Lineage: the model's relations as a graph",
        {200: LineageSchema},
        args=args_schemas.VersionArgsSchema,
        description="Nodes (versions, files, signal points, translations, publications, HEPData records, "
        "other references) and edges 'source relation target' named by DataCite relation types, the "
        "relations the record's DataCite metadata carries.",
    )
    def lineage(self):
        """Versions, files, signal points, translations and related works."""
        return json_response(self.service.lineage(g.identity, *self._addressed()))
