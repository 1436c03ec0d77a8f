"""The ``demos`` namespace: custom fields of a DEMOS model record and their form UI.

Users fill the fields of ``DEMOS_USER_FIELDS``; ``demos:checksums`` and
``demos:validation`` are written by the registry only (see components.py).
"""

from invenio_i18n import lazy_gettext as _
from invenio_records_resources.services.custom_fields import KeywordCF, TextCF
from marshmallow import validate

from .fields import (
    CHECKSUM_PROPERTIES,
    EXPECTED_OUTPUTS_PROPERTIES,
    EXTERNAL_REFERENCE_PROPERTIES,
    MODEL_SELECTION_PROPERTIES,
    REFERENCE_POINT_PROPERTIES,
    VALIDATION_PROPERTIES,
    CheckedVocabularyCF,
    ChecksumSchema,
    ExpectedOutputsSchema,
    ExternalReferenceSchema,
    ModelSelectionSchema,
    NestedCF,
    ReferencePointSchema,
    SystemCF,
)
from .validators import model_version, uuid_string

DEMOS_NAMESPACE = {"demos": "https://w3id.org/demos/terms#"}

MODEL_RESOURCE_TYPE = "model"
"""The resource type (vocabulary id) of a DEMOS model record."""

SYSTEM_FIELDS = ("demos:checksums", "demos:validation", "demos:doi_registration")
"""Written by the registry; whatever a user sends for them is ignored."""

DEMOS_CUSTOM_FIELDS = [
    CheckedVocabularyCF(name="demos:domain", vocabulary_id="demosdomains", dump_options=True),
    CheckedVocabularyCF(
        name="demos:collaboration",
        vocabulary_id="demoscollaborations",
        dump_options=True,
        sort_by="title",
    ),
    CheckedVocabularyCF(name="demos:engine", vocabulary_id="demosengines", dump_options=True),
    CheckedVocabularyCF(name="demos:format", vocabulary_id="demosformats", dump_options=True),
    KeywordCF(name="demos:model_version", field_args={"validate": model_version}),
    KeywordCF(name="demos:model_id", field_args={"validate": uuid_string}),
    # Where the submitter keeps the model (the seed's file_location, e.g. s3://...), when that
    # is not the uploaded copy the registry serves.
    KeywordCF(name="demos:source_location", field_args={"validate": validate.Length(min=1, max=2000)}),
    NestedCF(
        name="demos:reference_points",
        schema=ReferencePointSchema,
        properties=REFERENCE_POINT_PROPERTIES,
        multiple=True,
    ),
    NestedCF(
        name="demos:expected_outputs",
        schema=ExpectedOutputsSchema,
        properties=EXPECTED_OUTPUTS_PROPERTIES,
    ),
    NestedCF(
        name="demos:model_selection",
        schema=ModelSelectionSchema,
        properties=MODEL_SELECTION_PROPERTIES,
    ),
    NestedCF(
        name="demos:external_references",
        schema=ExternalReferenceSchema,
        properties=EXTERNAL_REFERENCE_PROPERTIES,
        multiple=True,
    ),
    # Bounded lengths: a tag is a search term (a search server keeps terms up to 32 KiB).
    KeywordCF(name="demos:tags", multiple=True, field_args={"validate": validate.Length(min=1, max=100)}),
    TextCF(
        name="demos:search_keywords",
        multiple=True,
        use_as_filter=True,
        field_args={"validate": validate.Length(min=1, max=200)},
    ),
    TextCF(name="demos:citations", multiple=True, field_args={"validate": validate.Length(min=1, max=2000)}),
    NestedCF(
        name="demos:checksums",
        schema=ChecksumSchema,
        properties=CHECKSUM_PROPERTIES,
        multiple=True,
    ),
    SystemCF(name="demos:validation", properties=VALIDATION_PROPERTIES),
]

SEARCHED_FIELDS = [
    "custom_fields.demos:tags^2",
    "custom_fields.demos:search_keywords^2",
    "custom_fields.demos:citations",
    "custom_fields.demos:collaboration.title.en^2",
    "custom_fields.demos:domain.title.en",
    "custom_fields.demos:engine.title.en",
    "custom_fields.demos:format.title.en",
    "custom_fields.demos:external_references.identifier",
    "custom_fields.demos:model_id",
]
"""Custom fields a plain full-text query searches, besides Invenio's own."""

VALIDATION_STATUS_LABELS = {
    "pending": _("pending"),
    "running": _("running"),
    "passed": _("passed"),
    "failed": _("failed"),
    "needs_review": _("needs review"),
    "overridden": _("accepted by a curator"),
}
"""What a ``demos:validation`` status is called where people read it (the search facet)."""

DEMOS_CUSTOM_FIELDS_UI = {
    "section": _("DEMOS model"),
    "hide_from_landing_page": True,
    "fields": [
        {
            "field": "demos:domain",
            "ui_widget": "DemosDomain",
            "props": {
                "label": _("Physics domain"),
                "placeholder": _("Select the research domain"),
                "icon": "atom",
                "description": _(
                    "One of the six ErUM domains the model belongs to; the model is submitted to "
                    "the domain's community, whose curators review it."
                ),
                "clearable": True,
                "required": True,
            },
        },
        {
            "field": "demos:collaboration",
            "ui_widget": "DemosSelect",
            "props": {
                "label": _("Collaboration"),
                "placeholder": _("e.g. ATLAS, Belle II"),
                "icon": "users",
                "description": _("The experiment or group that published the model."),
                "clearable": True,
            },
        },
        {
            "field": "demos:engine",
            "ui_widget": "DemosSelect",
            "props": {
                "label": _("Engine"),
                "placeholder": _("Software that evaluates the likelihood"),
                "icon": "cogs",
                "description": _("The engine the reference values were computed with."),
                "clearable": True,
                "required": True,
            },
        },
        {
            "field": "demos:format",
            "ui_widget": "DemosSelect",
            "props": {
                "label": _("Format"),
                "placeholder": _("Serialisation of the model file"),
                "icon": "file code",
                "description": _("How the uploaded model is written."),
                "clearable": True,
                "required": True,
            },
        },
        {
            "field": "demos:model_version",
            "ui_widget": "DemosVersion",
            "props": {
                "label": _("Version"),
                "placeholder": "1.0.0",
                "icon": "code branch",
                "description": _("Version of the model, e.g. 1.0.0; shown in search results and citations."),
            },
        },
        {
            "field": "demos:reference_points",
            "ui_widget": "DemosReferencePoints",
            "props": {
                "label": _("Reference points"),
                "icon": "crosshairs",
                "description": _(
                    "Parameter values and the expected −2 ln L there; the registry "
                    "evaluates the model at each point and compares within "
                    "atol + rtol·|expected| (rtol defaults to 1e-5)."
                ),
            },
        },
        {
            "field": "demos:external_references",
            "ui_widget": "DemosExternalReferences",
            "props": {
                "label": _("External references"),
                "icon": "linkify",
                "description": _("Publication DOI, arXiv, INSPIRE, HEPData, Zenodo and GitHub links."),
            },
        },
        {
            "field": "demos:tags",
            "ui_widget": "DemosMultiInput",
            "props": {
                "label": _("Tags"),
                "placeholder": _("e.g. B-meson, rare-decay"),
                "icon": "tags",
                "description": _("Short tags; press enter after each."),
            },
        },
        {
            "field": "demos:search_keywords",
            "ui_widget": "DemosMultiInput",
            "props": {
                "label": _("Search keywords"),
                "placeholder": _("e.g. sbottom, multi-b"),
                "icon": "search",
                "description": _("Extra words the model should be found by."),
            },
        },
        {
            "field": "demos:citations",
            "ui_widget": "DemosMultiInput",
            "props": {
                "label": _("Citations"),
                "placeholder": _("e.g. Phys. Rev. D 109, 112006 (2024)"),
                "icon": "quote left",
                "description": _("How to cite the work the model comes from."),
            },
        },
    ],
}
