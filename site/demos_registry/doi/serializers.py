"""DataCite 4.5 serializers of the registry: Invenio's, plus the links between versions.

The same classes serve everything that speaks DataCite, so that DataCite, the
exports and OAI-PMH never disagree (relations.py computes the links):

- ``VersionLinkingDataCiteSerializer`` (JSON): the provider's payload sent to
  DataCite (doi/config.py ``RDM_PERSISTENT_IDENTIFIER_PROVIDERS``), the
  ``datacite-json`` export (``APP_RDM_RECORD_EXPORTERS``) and the REST API's
  ``application/vnd.datacite.datacite+json`` (``RDM_RECORDS_SERIALIZERS``);
- ``VersionLinkingDataCiteXMLSerializer``: the ``datacite-xml`` export,
  ``application/vnd.datacite.datacite+xml`` and the OAI-PMH ``datacite`` /
  ``oai_datacite`` formats (oai/formats.py, ``OAISERVER_METADATA_FORMATS``).
"""

from invenio_rdm_records.resources.serializers import (
    DataCite45JSONSerializer,
    DataCite45XMLSerializer,
)

from .relations import with_version_relations


class VersionRelationsMixin:
    """Add ``IsNewVersionOf`` / ``IsPreviousVersionOf`` to what Invenio's DataCite schema dumps."""

    def dump_obj(self, obj):
        """Invenio's document plus the record's version relations."""
        return with_version_relations(super().dump_obj(obj), obj)


class VersionLinkingDataCiteSerializer(VersionRelationsMixin, DataCite45JSONSerializer):
    """DataCite 4.5 JSON of a version, linked to the versions before and after it.

    Used with ``is_parent=True`` for the concept DOI, it adds nothing (the concept's
    links are Invenio's ``HasVersion``).
    """


class VersionLinkingDataCiteXMLSerializer(VersionRelationsMixin, DataCite45XMLSerializer):
    """DataCite 4.5 XML of a version, linked to the versions before and after it."""
