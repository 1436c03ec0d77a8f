"""Marshmallow schemas of what the models service answers: a model, a page, a validation, ...

They shape every answer of ``/api/models`` and are the source of its OpenAPI document
(resources/openapi.py), so the document cannot drift from the answers.
"""

from functools import cache

from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate


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
        """Unknown fields: dropped."""

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
    file_location = fields.String(
        allow_none=True, metadata={"description": "Where the registry serves the model file."}
    )
    source_location = fields.String(
        allow_none=True,
        metadata={"description": "Where the submitter keeps the model, when declared elsewhere."},
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
    lineage = fields.String()


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
        metadata={
            "description": "Per field: a value the registry replaced, kept elsewhere or ignored, and why."
        },
    )
    replayed = fields.Boolean(
        metadata={
            "description": "True when an Idempotency-Key repeated an earlier request: its model, nothing new."
        }
    )


class LicenceCheckSchema(Schema):
    """Whether the model's licence is open, and if not, why and how to fix it."""

    status = fields.String(validate=validate.OneOf(["open", "missing", "unknown", "not_open"]))
    id = fields.String(allow_none=True, metadata={"description": "SPDX id (licences vocabulary)."})
    reason = fields.String(allow_none=True)
    fix = fields.String(allow_none=True)


class QualityGapSchema(Schema):
    """One criterion the model does not (fully) meet."""

    criterion = fields.String()
    points = fields.Integer(metadata={"description": "Points meeting it would add."})
    fix = fields.String()


class QualitySchema(Schema):
    """Quality score 0–100 (docs/api.md), what is missing and the licence check."""

    score = fields.Integer()
    missing = fields.List(fields.Nested(QualityGapSchema))
    licence = fields.Nested(LicenceCheckSchema)


class ModelSchema(RegistryEntrySchema):
    """A model: its registry entry, record id, publication status and links."""

    id = fields.String(required=True)
    status = fields.String(validate=validate.OneOf(["published", "draft", "in_review"]))
    validation = fields.Nested(ValidationSummarySchema)
    community_request = fields.String(allow_none=True)
    quality = fields.Nested(QualitySchema)
    links = fields.Nested(ModelLinksSchema)
    submission = fields.Nested(SubmissionNotesSchema)


class PageLinksSchema(Schema):
    """Links to this page, the previous and the next one."""

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


class ValidationStateSchema(Schema):
    """The stored ``demos:validation`` of a model (status, report, decision trail)."""

    class Meta:
        """Unknown fields: kept."""

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
    validation = fields.Nested(
        ValidationSummarySchema, metadata={"description": "The state it left: pending."}
    )
    links = fields.Dict()


class VisualizationSchema(Schema):
    """Plots and parameter table that the last validation produced."""

    id = fields.String()
    status = fields.String(allow_none=True)
    plots = fields.List(fields.Raw())
    parameters = fields.List(fields.Dict())
    facts = fields.List(fields.Dict())
    signal_points = fields.Dict(
        allow_none=True,
        metadata={
            "description": "Each signal point of a patchset: CLs at mu = 1 (observed, expected band), "
            "flags; counts; `tables` links the JSON/CSV table when the rows are too many to keep on the record."
        },
    )


class TranslationAgreementSchema(Schema):
    """What the validation's cross-engine check found about the translation."""

    class Meta:
        """Unknown fields: kept."""

        unknown = INCLUDE

    status = fields.String(
        metadata={
            "description": "The cross-engine check's status (passed, warning, failed) when it evaluated "
            "this translation; not_checked or not_translated otherwise."
        }
    )
    reason = fields.String(allow_none=True)
    engines = fields.Dict()
    rtol = fields.Float(allow_none=True)
    atol = fields.Float(allow_none=True)
    points = fields.List(
        fields.Dict(), metadata={"description": "Parameter values and −2Δ ln L of each engine."}
    )


class TranslationSchema(Schema):
    """A model file translated to another format (the document itself is GET .../file?format=)."""

    id = fields.String()
    key = fields.String(metadata={"description": "The model file translated."})
    source_format = fields.String()
    format = fields.String()
    translated = fields.Boolean(metadata={"description": "False when the file already is in the format."})
    agreement = fields.Nested(TranslationAgreementSchema)
    links = fields.Dict()


class LineageNodeSchema(Schema):
    """A version, file, signal point, translation or related work (kind-specific fields where they apply)."""

    id = fields.String(required=True)
    kind = fields.String(
        validate=validate.OneOf(
            ["version", "file", "signal_point", "translation", "publication", "hepdata", "reference"]
        )
    )
    label = fields.String(allow_none=True)
    links = fields.Dict()
    record_id = fields.String(metadata={"description": "version: its record id."})
    version = fields.String(allow_none=True, metadata={"description": "version: the model version."})
    current = fields.Boolean(metadata={"description": "version: the one asked for."})
    validation = fields.String(allow_none=True, metadata={"description": "version: its validation status."})
    coordinates = fields.Dict(metadata={"description": "signal_point: its coordinates (e.g. masses)."})
    status = fields.String(allow_none=True, metadata={"description": "signal_point: its evaluation status."})
    format = fields.String(metadata={"description": "translation: hs3 or pyhf."})
    scheme = fields.String(allow_none=True, metadata={"description": "related work: identifier scheme."})
    url = fields.String(allow_none=True, metadata={"description": "related work: where it is."})


class LineageEdgeSchema(Schema):
    """``source <relation> target``, relation a DataCite relation type (Invenio's relationtypes id)."""

    source = fields.String(required=True)
    relation = fields.String(required=True)
    target = fields.String(required=True)


class LineageSchema(Schema):
    """A model's relations as a graph: nodes and edges."""

    id = fields.String()
    model_id = fields.String(allow_none=True)
    nodes = fields.List(fields.Nested(LineageNodeSchema))
    edges = fields.List(fields.Nested(LineageEdgeSchema))
    truncated = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Per kind, how many nodes were left out (e.g. signal_points)."},
    )


class StatusRecordSchema(Schema):
    """A record the dashboard points at."""

    id = fields.String()
    title = fields.String(allow_none=True)
    links = fields.Dict()


class WindowSchema(Schema):
    """Activity within one time window."""

    since = fields.String()
    submissions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "published: models published; open_drafts: drafts created, not yet published."
        },
    )
    validations = fields.Dict(
        metadata={"description": "by_status: latest verdicts per status; failed: the models that failed."}
    )
    api = fields.Dict(
        metadata={
            "description": "Answers of /api/models: requests, client_errors, server_errors, error_rate (5xx)."
        }
    )


class StatusSchema(Schema):
    """The registry's activity of the last hour and day, and what is waiting now."""

    generated = fields.String()
    last_hour = fields.Nested(WindowSchema)
    last_day = fields.Nested(WindowSchema)
    queues = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(allow_none=True),
        metadata={"description": "Messages waiting per Celery queue (null: broker unreachable)."},
    )
    oldest_waiting_validation = fields.Dict(
        allow_none=True,
        metadata={"description": "The model whose validation has been pending longest, and since when."},
    )
    workers = fields.Integer(metadata={"description": "Celery workers answering a ping."})
    doi_registrations = fields.Dict(
        metadata={
            "description": "pending / rejected: count and the records, of DOIs DataCite has not confirmed."
        }
    )


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


@cache
def schema_instance(schema):
    """One instance per schema: building one copies all its fields, dumping changes nothing."""
    return schema()


def dump(schema, data):
    """``data`` shaped by ``schema``."""
    return schema_instance(schema).dump(data)
