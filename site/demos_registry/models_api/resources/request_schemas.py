"""Marshmallow schemas of the ``/api/models`` requests: query strings (parsed) and bodies (documented).

The query-string schemas validate every argument (a bad one is a 400 naming it); all of
them are the source of the OpenAPI document's parameters and request bodies.
"""

from flask import current_app
from flask_resources.parsers import MultiDictSchema
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates, validates_schema

from ...conversion.translate import TARGETS as TRANSLATION_TARGETS
from ..services.regex import check_pattern

MAX_RESULT_WINDOW = 10000
SORT_OPTIONS = ["bestmatch", "newest", "oldest", "updated-desc", "updated-asc", "quality"]
TEXT = validate.Length(min=1, max=500)


class PaginationArgsSchema(MultiDictSchema):
    """Page and size of a list of models, and its order."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_RESULT_WINDOW))
    size = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    sort = fields.String(
        validate=validate.OneOf(SORT_OPTIONS),
        metadata={"description": "quality: highest quality score first (see docs/api.md)."},
    )
    min_quality = fields.Integer(
        validate=validate.Range(min=0, max=100),
        metadata={"description": "Only models whose quality score (0–100) is at least this."},
    )

    @validates("size")
    def size_within_configured_maximum(self, value, **kwargs):
        """The deployment may lower the largest page."""
        maximum = current_app.config["DEMOS_MODELS_API_MAX_PAGE_SIZE"]
        if value > maximum:
            raise ValidationError(f"Must be at most {maximum}.")


class SearchArgsSchema(PaginationArgsSchema):
    """A query in Invenio's query syntax, a regular expression over names and tags, or both."""

    q = fields.String(validate=validate.Length(min=1, max=1000))
    regex = fields.String(
        validate=check_pattern,
        metadata={
            "description": "Lucene regular expression matched against each model's whole name and each "
            "tag, regardless of case (e.g. .*neutrino.*); bounded: at most 100 characters, no repetition "
            "of a repetition, counts up to 20 (see docs/api.md)."
        },
    )

    @validates_schema
    def query_or_pattern(self, data, **kwargs):
        """A search needs something to search for."""
        if "q" not in data and "regex" not in data:
            raise ValidationError("Send q (Invenio query syntax) or regex.", field_name="q")


class FilterArgsSchema(PaginationArgsSchema):
    """Facet values; repeated values of one facet are alternatives (OR), facets combine (AND)."""

    domain = fields.List(fields.String(validate=TEXT))
    tag = fields.List(fields.String(validate=TEXT))
    engine = fields.List(fields.String(validate=TEXT))
    status = fields.List(
        fields.String(validate=TEXT),
        metadata={
            "description": "Validation status: pending, running, passed, failed, needs_review, overridden."
        },
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
    """Which file of the model to send (default: the selected model file, else the first), in which format."""

    key = fields.String(validate=validate.Length(min=1, max=255))
    format = fields.String(
        validate=validate.OneOf(TRANSLATION_TARGETS),
        metadata={
            "description": "Translate the file: hs3 (from a pyhf workspace) or pyhf (from an HS3 model); "
            "a validated model only. Without it the stored file is sent as it is."
        },
    )


class TranslationArgsSchema(FileArgsSchema):
    """The format whose translation is described."""

    format = fields.String(required=True, validate=validate.OneOf(TRANSLATION_TARGETS))


class DeleteArgsSchema(VersionArgsSchema):
    """Why the model is removed (shown on its tombstone)."""

    reason = fields.String(validate=validate.Length(min=1, max=100))
    note = fields.String(validate=validate.Length(max=1000))


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
        """Unknown fields: kept."""

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
