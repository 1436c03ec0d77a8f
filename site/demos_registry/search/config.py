"""Search of DEMOS models: facets on the DEMOS fields, full text over them too."""

import json
from pathlib import Path

import invenio_rdm_records
from invenio_i18n import lazy_gettext as _
from invenio_rdm_records.config import RDM_FACETS, RDM_SEARCH, RDM_SEARCH_DRAFTS
from invenio_records_resources.services.records.facets import CFTermsFacet
from invenio_vocabularies.services.facets import VocabularyLabels

from ..custom_fields.config import SEARCHED_FIELDS, VALIDATION_STATUS_LABELS
from ..quality.config import QUALITY_SORT_OPTIONS
from .facets import embedded_search_facets

RECORD_MAPPINGS = Path(invenio_rdm_records.__file__).parent / "records/mappings/os-v2/rdmrecords/records"


def invenio_default_query_fields():
    """The fields Invenio's newest record mapping searches by default."""
    newest = max(
        RECORD_MAPPINGS.glob("record-v*.json"), key=lambda p: [int(x) for x in p.stem[8:].split(".")]
    )
    return json.loads(newest.read_text())["settings"]["index.query.default_field"]


def vocabulary_facet(field, vocabulary, label):
    """Terms facet on a vocabulary custom field, labelled from the vocabulary."""
    return {
        "facet": CFTermsFacet(field=f"{field}.id", label=label, value_labels=VocabularyLabels(vocabulary)),
        "ui": {"field": CFTermsFacet.field(f"{field}.id")},
    }


def terms_facet(field, label, value_labels=None):
    """Terms facet on a keyword custom field, its values labelled by ``value_labels`` (else as stored)."""
    return {
        "facet": CFTermsFacet(field=field, label=label, value_labels=value_labels),
        "ui": {"field": CFTermsFacet.field(field)},
    }


DEMOS_FACETS = {
    "domain": vocabulary_facet("demos:domain", "demosdomains", _("Physics domain")),
    "collaboration": vocabulary_facet("demos:collaboration", "demoscollaborations", _("Collaboration")),
    "engine": vocabulary_facet("demos:engine", "demosengines", _("Engine")),
    "format": vocabulary_facet("demos:format", "demosformats", _("Format")),
    "tag": terms_facet("demos:tags", _("Tags")),
    "validation": terms_facet("demos:validation.status", _("Validation status"), VALIDATION_STATUS_LABELS),
}
DEMOS_FACET_NAMES = list(DEMOS_FACETS)


def registry_facets(embedded_search):
    """Invenio's facets (formatless dates on the embedded server) plus DEMOS facets."""
    base = embedded_search_facets() if embedded_search else RDM_FACETS
    return {**base, **DEMOS_FACETS}


def with_demos_query_fields(parser):
    """The same query parser, also searching the DEMOS fields in plain full text."""
    extra_params = dict(parser.keywords["extra_params"])
    extra_params["fields"] = invenio_default_query_fields() + SEARCHED_FIELDS
    return parser.func.factory(tree_transformer_cls=parser.keywords["tree_transformer_cls"], **extra_params)


def registry_search(base, sort_options=()):
    """A search configuration with the DEMOS facets first (and DEMOS query fields), plus ``sort_options``."""
    search = {
        **base,
        "facets": DEMOS_FACET_NAMES + list(base["facets"]),
        "sort": [*base["sort"], *sort_options],
    }
    if "query_parser_cls" in base:
        search["query_parser_cls"] = with_demos_query_fields(base["query_parser_cls"])
    return search


REGISTRY_SEARCH = registry_search(RDM_SEARCH, sort_options=list(QUALITY_SORT_OPTIONS))
REGISTRY_SEARCH_DRAFTS = registry_search(RDM_SEARCH_DRAFTS)
