"""OAI-PMH settings of the registry; import them into the registry's config.

Set membership is computed per page by ``sets.sets_for_records`` (no percolator),
so the percolator queries invenio-oaiserver would store for every set are not needed.

The DataCite formats (``datacite``, ``oai_datacite`` and their ``…4`` aliases) are
Invenio's with the registry's serializers (formats.py): they carry the links between
versions (``IsNewVersionOf`` / ``IsPreviousVersionOf``) like DataCite and the exports.
``oai_dc`` is Invenio's Dublin Core, dumped from the search hit (formats.py).
"""

from invenio_app_rdm.config import (
    OAISERVER_METADATA_FORMATS as RDM_OAISERVER_METADATA_FORMATS,
)

OAISERVER_RECORD_SETS_FETCHER = "demos_registry.oai.sets:find_sets_for_record"
OAISERVER_REGISTER_SET_SIGNALS = False
"""No percolator per set: membership is asked of the search index when harvested."""

REGISTRY_OAI_SERIALIZERS = {
    "oai_dc": "demos_registry.oai.formats:dublincore_etree",
    "datacite": "demos_registry.oai.formats:datacite_etree",
    "datacite4": "demos_registry.oai.formats:datacite_etree",
    "oai_datacite": "demos_registry.oai.formats:oai_datacite_etree",
    "oai_datacite4": "demos_registry.oai.formats:oai_datacite_etree",
}
OAISERVER_METADATA_FORMATS = {
    **RDM_OAISERVER_METADATA_FORMATS,
    **{
        prefix: {**RDM_OAISERVER_METADATA_FORMATS[prefix], "serializer": serializer}
        for prefix, serializer in REGISTRY_OAI_SERIALIZERS.items()
    },
}
"""Invenio's metadata formats; the DataCite ones dumped with the version links, Dublin Core from the hit."""
