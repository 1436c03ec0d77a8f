"""Marshmallow schemas of the ``/api/models`` requests and responses.

They validate the query strings, shape every response, and are the source of the
OpenAPI document (openapi.py), so the document cannot drift from the code.
"""

from flask import current_app
from flask_resources.parsers import MultiDictSchema
from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
)

MAX_RESULT_WINDOW = 10000
SORT_OPTIONS = ["bestmatch", "newest", "oldest", "updated-desc", "updated-asc"]
TEXT = validate.Length(min=1, max=500)


class PaginationArgsSchema(MultiDictSchema):
    """Page and size of a list of models, and its order."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_RESULT_WINDOW))
    size = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    sort = fields.String(validate=validate.OneOf(SORT_OPTIONS))

    @validates("size")
    def size_within_configured_maximum(self, value, **kwargs):
        """The deployment may lower the largest page."""
        maximum = current_app.config["DEMOS_MODELS_API_MAX_PAGE_SIZE"]
        if value > maximum:
            raise ValidationError(f"Must be at most {maximum}.")


class SearchArgsSchema(PaginationArgsSchema):
    """A query in Invenio's query syntax."""

    q = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class FilterArgsSchema(PaginationArgsSchema):
    """Facet values; repeated values of one facet are alternatives (OR), facets combine (AND)."""

    domain = fields.List(fields.String(validate=TEXT))
    tag = fields.List(fields.String(validate=TEXT))
    engine = fields.List(fields.String(validate=TEXT))
    status = fields.List(
        fields.String(validate=TEXT),
        metadata={"description": "Validation status: pending, running, passed, failed, needs_review, overridden."},
    )
    collaboration = fields.List(fields.String(validate=TEXT))
    format = fields.List(fields.String(validate=TEXT))


class TagsArgsSchema(MultiDictSchema):
    """Prefix of the tags to suggest."""

    prefix = fields.String(load_default="", validate=validate.Length(max=100))
    size = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class CreateArgsSchema(MultiDictSchema):
    """Publish at once instead of submitting to the domain community for review."""

    publish = fields.Boolean(load_default=False)


class VersionArgsSchema(MultiDictSchema):
    """Which version, when the model is addressed by its model id (default: the latest)."""

    version = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Model version (e.g. 1.0.0) of a model addressed by its model id."},
    )


class FileArgsSchema(VersionArgsSchema):
    """Which file of the model to send (default: the selected model file, else the first)."""

    key = fields.String(validate=validate.Length(min=1, max=255))


class DeleteArgsSchema(VersionArgsSchema):
    """Why the model is removed (shown on its tombstone)."""

    reason = fields.String(validate=validate.Length(min=1, max=100))
    note = fields.String(validate=validate.Length(max=1000))


class FileChecksumSchema(Schema):
    """One file of a model and its SHA-256."""

    file = fields.String(required=True)
    sha256 = fields.String(allow_none=True)


class EntryMetadataSchema(Schema):
    """Tags, search keywords and citations of a registry entry."""

    tags = fields.List(fields.String())
    search_keywords = fields.List(fields.String())
    citations = fields.List(fields.String())


class RegistryEntrySchema(Schema):
    """The DEMOS seed's registry entry of a model (with the registry's extensions)."""

    class Meta:
        unknown = EXCLUDE

    model_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    doi = fields.String(allow_none=True, metadata={"description": "DOI of the publication."})
    record_doi = fields.String(allow_none=True, metadata={"description": "DOI of this record."})
    version = fields.String(allow_none=True)
    domain = fields.String(allow_none=True)
    collaboration = fields.String(allow_none=True)
    engine = fields.String(allow_none=True)
    format = fields.String(allow_none=True)
    file_location = fields.String(allow_none=True, metadata={"description": "Where the registry serves the model file."})
    source_location = fields.String(
        allow_none=True, metadata={"description": "Where the submitter keeps the model, when declared elsewhere."}
    )
    checksum = fields.String(allow_none=True)
    files = fields.List(fields.Nested(FileChecksumSchema))
    reference_points = fields.List(fields.Dict())
    external_references = fields.List(fields.Dict())
    metadata = fields.Nested(EntryMetadataSchema)
    validation_status = fields.String(validate=validate.OneOf(["approved", "rejected", "pending"]))
    submission_date = fields.String()
    last_updated = fields.String()


class ModelLinksSchema(Schema):
    """Where to find a model and what to do with it."""

    self = fields.String()
    html = fields.String()
    record = fields.String()
    file = fields.String()
    metadata = fields.String()
    validate_link = fields.String(attribute="validate", data_key="validate")
    validation = fields.String()
    visualize = fields.String()


class ValidationSummarySchema(Schema):
    """Current validation status of a model, as the registry recorded it."""

    status = fields.String(allow_none=True)
    updated = fields.String(allow_none=True)


class SubmissionNotesSchema(Schema):
    """What the registry made of a submitted entry (only in the answer to POST)."""

    inferred = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Fields read from the uploaded files because the entry left them out."},
    )
    verified_checksums = fields.List(
        fields.String(), metadata={"description": "Files whose declared SHA-256 matched the upload."}
    )
    notes = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Per field: a value the registry replaced, kept elsewhere or ignored, and why."},
    )
    replayed = fields.Boolean(
        metadata={"description": "True when an Idempotency-Key repeated an earlier request: its model, nothing new."}
    )


class ModelSchema(RegistryEntrySchema):
    """A model: its registry entry, record id, publication status and links."""

    id = fields.String(required=True)
    status = fields.String(validate=validate.OneOf(["published", "draft", "in_review"]))
    validation = fields.Nested(ValidationSummarySchema)
    community_request = fields.String(allow_none=True)
    links = fields.Nested(ModelLinksSchema)
    submission = fields.Nested(SubmissionNotesSchema)


class PageLinksSchema(Schema):
    """This, the previous and the next page."""

    self = fields.String()
    prev = fields.String()
    next = fields.String()


class ModelListSchema(Schema):
    """One page of models."""

    hits = fields.List(fields.Nested(ModelSchema))
    total = fields.Integer()
    page = fields.Integer()
    size = fields.Integer()
    links = fields.Nested(PageLinksSchema)


class ModelUploadSchema(Schema):
    """``POST /api/models``: multipart form with the metadata and the model files."""

    metadata = fields.String(
        required=True,
        metadata={
            "description": (
                "JSON: a registry entry (name, domain, engine, format, ...) or Invenio record "
                "data with DEMOS custom fields."
            )
        },
    )
    file = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        required=True,
        metadata={"description": "The model file(s); repeat the part for several files."},
    )


class ModelUpdateSchema(Schema):
    """``PUT /api/models/{id}``: the fields to change, as in a registry entry or record data."""

    class Meta:
        unknown = INCLUDE

    name = fields.String()
    description = fields.String()
    version = fields.String()
    domain = fields.String()
    engine = fields.String()
    format = fields.String()
    collaboration = fields.String()
    doi = fields.String()
    license = fields.String()
    reference_points = fields.List(fields.Dict())
    external_references = fields.List(fields.Dict())
    metadata = fields.Dict(metadata={"description": "tags, search_keywords, citations"})
    custom_fields = fields.Dict(metadata={"description": "Invenio record data: DEMOS custom fields"})


class ValidationStateSchema(Schema):
    """The stored ``demos:validation`` of a model (status, report, decision trail)."""

    class Meta:
        unknown = INCLUDE

    id = fields.String()
    status = fields.String(allow_none=True)
    validation = fields.Dict(allow_none=True)
    run = fields.Dict(metadata={"description": "How to queue a new validation (GET .../validate only)."})
    links = fields.Dict()


class ValidationQueuedSchema(Schema):
    """A re-validation was requested."""

    id = fields.String()
    status = fields.String(metadata={"description": "Always 'queued': the run is a Celery task."})
    validation = fields.Nested(ValidationSummarySchema, metadata={"description": "The state it left: pending."})
    links = fields.Dict()


class VisualizationSchema(Schema):
    """Plots and parameter table that the last validation produced."""

    id = fields.String()
    status = fields.String(allow_none=True)
    plots = fields.List(fields.Raw())
    parameters = fields.List(fields.Dict())
    facts = fields.List(fields.Dict())


class GoldenListSchema(Schema):
    """Every published, validated model with its checksums (seed 004's golden JSON)."""

    generated = fields.String()
    count = fields.Integer()
    models = fields.List(fields.Nested(RegistryEntrySchema))


class TagSchema(Schema):
    """A tag and how many models carry it."""

    tag = fields.String()
    count = fields.Integer()


class TagListSchema(Schema):
    """Tag suggestions for a prefix."""

    prefix = fields.String()
    tags = fields.List(fields.Nested(TagSchema))


class ComponentHealthSchema(Schema):
    """State of one service the registry depends on."""

    status = fields.String(validate=validate.OneOf(["ok", "error"]))
    detail = fields.String(allow_none=True)
    seconds = fields.Float()


class HealthSchema(Schema):
    """State of the registry and of each service it needs."""

    status = fields.String(validate=validate.OneOf(["ok", "error"]))
    components = fields.Dict(keys=fields.String(), values=fields.Nested(ComponentHealthSchema))


class VersionSchema(Schema):
    """Versions of the registry, its API and Invenio."""

    version = fields.String()
    api_version = fields.String()
    invenio_app_rdm = fields.String()


class InfoSchema(VersionSchema):
    """What this registry is and where its APIs are."""

    name = fields.String()
    description = fields.String()
    site_url = fields.String()
    models = fields.Integer(metadata={"description": "Published models the caller may see."})
    domains = fields.Dict(keys=fields.String(), values=fields.Integer())
    links = fields.Dict(keys=fields.String(), values=fields.String())


class FieldErrorSchema(Schema):
    """What is wrong with one field."""

    field = fields.String()
    messages = fields.List(fields.String())


class ErrorSchema(Schema):
    """Every error: HTTP status, a message, and the fields at fault if any."""

    class Meta:
        unknown = INCLUDE

    status = fields.Integer(required=True)
    message = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))
