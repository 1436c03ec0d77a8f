"""DataCite settings of the registry; import them into the registry's config.

Every value can be overridden by an ``INVENIO_<NAME>`` environment variable, so a
deployment configures DataCite without code: ``INVENIO_DATACITE_ENABLED=True``,
``INVENIO_DATACITE_PREFIX``, ``INVENIO_DATACITE_USERNAME``, ``INVENIO_DATACITE_PASSWORD``,
``INVENIO_DATACITE_TEST_MODE`` (DataCite's public test service) and optionally
``INVENIO_DATACITE_URL`` (any DataCite-protocol server; scripts/run starts a local one).
Nothing here is needed at import time: providers read the values on each call.

Version links (relations.py): DataCite, the ``datacite-json`` / ``datacite-xml``
exports and the REST API's DataCite content types all use the registry's
serializers (serializers.py), which add ``IsNewVersionOf`` / ``IsPreviousVersionOf``
to Invenio's document: ``RDM_PERSISTENT_IDENTIFIER_PROVIDERS``,
``APP_RDM_RECORD_EXPORTERS`` and ``RDM_RECORDS_SERIALIZERS`` below are Invenio's
with only those entries replaced. (OAI-PMH: ``OAISERVER_METADATA_FORMATS`` in
oai/config.py.)
"""

from datetime import timedelta

import idutils
from flask_resources import ResponseHandler
from invenio_app_rdm.config import (
    APP_RDM_RECORD_EXPORTERS as RDM_DEFAULT_RECORD_EXPORTERS,
)
from invenio_i18n import lazy_gettext as _
from invenio_rdm_records.config import (
    RDM_PERSISTENT_IDENTIFIER_PROVIDERS as RDM_DEFAULT_PID_PROVIDERS,
)
from invenio_rdm_records.config import (
    RDM_PERSISTENT_IDENTIFIERS as RDM_DEFAULT_PERSISTENT_IDENTIFIERS,
)
from invenio_rdm_records.resources.config import (
    record_serializers as rdm_record_serializers,
)
from invenio_records_resources.resources.records.headers import etag_headers

from ..records_ui.citation import MODEL_CITATION_SERIALIZERS, MODEL_CSL_EXPORTER
from ..records_ui.doi_links import link_dois_to_their_resolver
from .providers import DemosDataCiteClient, DemosDataCitePIDProvider
from .registration import DOI_REGISTRATION_FIELD
from .serializers import (
    VersionLinkingDataCiteSerializer,
    VersionLinkingDataCiteXMLSerializer,
)

DATACITE_ENABLED = False
DATACITE_USERNAME = ""
DATACITE_PASSWORD = ""
DATACITE_PREFIX = ""
DATACITE_TEST_MODE = True
DATACITE_URL = ""
"""Base URL of a DataCite-protocol server; empty: DataCite (test or production by TEST_MODE)."""
DATACITE_TIMEOUT = 20
DATACITE_DATACENTER_SYMBOL = ""

DEMOS_DOI_RETRY_BASE_DELAY = 300
"""Seconds before the first retry of a failed registration; doubles with every attempt."""
DEMOS_DOI_RETRY_MAX_DELAY = 6 * 3600
"""Longest wait between two attempts."""


def _datacite_provider(**kwargs):
    return DemosDataCitePIDProvider(
        "datacite", client=DemosDataCiteClient("datacite", config_prefix="DATACITE"), **kwargs
    )


RDM_PERSISTENT_IDENTIFIER_PROVIDERS = [
    _datacite_provider(serializer=VersionLinkingDataCiteSerializer(), label=_("DOI")),
    *(provider for provider in RDM_DEFAULT_PID_PROVIDERS if provider.name != "datacite"),
]
RDM_PARENT_PERSISTENT_IDENTIFIER_PROVIDERS = [
    _datacite_provider(serializer=VersionLinkingDataCiteSerializer(is_parent=True), label=_("Concept DOI")),
]
RDM_PERSISTENT_IDENTIFIERS = {
    **RDM_DEFAULT_PERSISTENT_IDENTIFIERS,
    "doi": {
        "providers": ["datacite", "external"],
        "required": True,
        "label": _("DOI"),
        "validator": idutils.is_doi,
        "normalizer": idutils.normalize_doi,
        "is_enabled": DemosDataCitePIDProvider.is_enabled,
        # invenio-app-rdm reads it for a new upload and for a draft saved without a DOI:
        # "no" asks for a registry DOI (and stays so after a reload), "yes" for an external one.
        "ui": {"default_selected": "no"},
    },
}
"""Every public record gets a registry DOI when DataCite is enabled (an external DOI is allowed).

The ``doi`` scheme is in the deposit form only while DataCite is enabled (``is_enabled``), that
is where the registry mints DOIs; there the form asks for a registry DOI unless told otherwise.
"""
link_dois_to_their_resolver()
RDM_PARENT_PERSISTENT_IDENTIFIERS = {
    "doi": {
        "providers": ["datacite"],
        "required": True,
        "condition": lambda record: record.pids.get("doi", {}).get("provider") == "datacite",
        "label": _("Concept DOI"),
        "validator": idutils.is_doi,
        "normalizer": idutils.normalize_doi,
        "is_enabled": DemosDataCitePIDProvider.is_enabled,
    },
}

APP_RDM_RECORD_EXPORTERS = {
    **RDM_DEFAULT_RECORD_EXPORTERS,
    "csl": MODEL_CSL_EXPORTER,
    "datacite-json": {
        **RDM_DEFAULT_RECORD_EXPORTERS["datacite-json"],
        "serializer": "demos_registry.doi.serializers:VersionLinkingDataCiteSerializer",
    },
    "datacite-xml": {
        **RDM_DEFAULT_RECORD_EXPORTERS["datacite-xml"],
        "serializer": "demos_registry.doi.serializers:VersionLinkingDataCiteXMLSerializer",
    },
}
"""``/records/<id>/export/datacite-json|datacite-xml`` with the version links; CSL with a model's type."""
RDM_RECORDS_SERIALIZERS = {
    **rdm_record_serializers,
    **MODEL_CITATION_SERIALIZERS,
    "application/vnd.datacite.datacite+json": ResponseHandler(
        VersionLinkingDataCiteSerializer(), headers=etag_headers
    ),
    "application/vnd.datacite.datacite+xml": ResponseHandler(
        VersionLinkingDataCiteXMLSerializer(), headers=etag_headers
    ),
}
"""``/api/records/<id>`` in the DataCite content types, with the version links; citations of a model
name its type (records_ui/citation.py)."""

DOI_CELERY_BEAT_SCHEDULE = {
    "demos-retry-pending-dois": {
        "task": "demos_registry.doi.tasks.retry_pending_doi_registrations",
        "schedule": timedelta(minutes=5),
    },
}
"""Merge into ``CELERY_BEAT_SCHEDULE``: re-attempts pending DOI registrations with back-off."""

DOI_CUSTOM_FIELDS = [DOI_REGISTRATION_FIELD]
"""Append to ``RDM_CUSTOM_FIELDS`` (and ``demos:doi_registration`` to ``SYSTEM_FIELDS``)."""
