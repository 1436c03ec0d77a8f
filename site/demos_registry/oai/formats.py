"""OAI-PMH formats of the registry: DataCite with the links between versions, Dublin Core from the hit.

invenio-rdm-records' ``datacite_etree`` / ``oai_datacite_etree`` dump a hit with
Invenio's DataCite serializer; these dump it with the registry's
(``VersionLinkingDataCiteXMLSerializer``), so that a harvester sees the same
``IsNewVersionOf`` / ``IsPreviousVersionOf`` as DataCite and the record exports.

Invenio's ``dublincore_etree`` first turns the hit into the records service's result item
(the whole RDM schema, its field permission checks and links: ~30 ms a record, most of an
``oai_dc`` harvest) and then reads a dozen fields of it; the hit holds the same fields, so
``dublincore_etree`` here reads them from the hit, as Invenio's DataCite format does
(tests/oai: the same XML as Invenio's for every harvested record).
Wired in ``OAISERVER_METADATA_FORMATS`` (oai/config.py).
"""

from datacite import schema45
from dcxml import simpledc
from flask import current_app
from invenio_rdm_records.resources.serializers.dublincore import DublinCoreXMLSerializer
from lxml import etree

from ..doi.serializers import VersionLinkingDataCiteXMLSerializer

OAI_DATACITE_NS = "http://schema.datacite.org/oai/oai-1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def datacite_etree(pid, record):
    """DataCite 4.5 XML of a search hit (``{"_source": ...}``) for OAI-PMH."""
    return schema45.dump_etree(VersionLinkingDataCiteXMLSerializer().dump_obj(record["_source"]))


def oai_datacite_etree(pid, record):
    """The ``oai_datacite`` envelope (OAI DataCite 1.1) around ``datacite_etree``, as Invenio builds it."""
    envelope = etree.Element(
        "oai_datacite",
        nsmap={None: OAI_DATACITE_NS, "xsi": XSI_NS},
        attrib={f"{{{XSI_NS}}}schemaLocation": f"{OAI_DATACITE_NS} {OAI_DATACITE_NS}oai.xsd"},
    )
    etree.SubElement(envelope, "schemaVersion").text = "4.5"
    etree.SubElement(envelope, "datacentreSymbol").text = current_app.config.get("DATACITE_DATACENTER_SYMBOL")
    etree.SubElement(envelope, "payload").append(datacite_etree(pid, record))
    return envelope


def dublincore_etree(pid, record):
    """Dublin Core XML of a search hit (``{"_source": ...}``) for OAI-PMH."""
    return simpledc.dump_etree(DublinCoreXMLSerializer().dump_obj(record["_source"]))
