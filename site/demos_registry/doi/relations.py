"""The links between consecutive versions of a record, computed in one place.

Invenio links every version to its concept DOI (``IsVersionOf``) and the concept DOI
to every version (``HasVersion``), but not the versions to each other. DataCite
expresses that chain with ``IsNewVersionOf`` (this version → the one before) and
``IsPreviousVersionOf`` (this version → the one after). ``version_relations`` gives
both, and every DataCite document the registry produces uses it (serializers.py):
what is sent to DataCite (providers.py), the ``datacite-json`` / ``datacite-xml``
exports and REST serializations (``APP_RDM_RECORD_EXPORTERS``,
``RDM_RECORDS_SERIALIZERS`` in doi/config.py) and the OAI-PMH ``datacite`` /
``oai_datacite`` formats (``OAISERVER_METADATA_FORMATS`` in oai/config.py).

The neighbours are the nearest published, not deleted versions *that have a DOI*
(a restricted version has none): the chain stays connected and symmetric, v1
``IsPreviousVersionOf`` v2 exactly when v2 ``IsNewVersionOf`` v1. A version's DOI is
in its JSON from publication on (registration on DataCite follows asynchronously),
so all outputs agree from the moment a version is published.
"""

from invenio_db import db
from invenio_pidstore.models import PersistentIdentifier
from invenio_rdm_records.records.api import RDMRecord
from invenio_rdm_records.records.systemfields.deletion_status import (
    RecordDeletionStatusEnum,
)
from invenio_rdm_records.utils import ChainObject
from sqlalchemy import func

IS_NEW_VERSION_OF = "IsNewVersionOf"
IS_PREVIOUS_VERSION_OF = "IsPreviousVersionOf"


def _parent_uuid(parent_pid_value):
    """The UUID of a parent record from its persistent identifier (as record dumps carry it)."""
    pid = PersistentIdentifier.query.filter_by(pid_type="recid", pid_value=parent_pid_value).one_or_none()
    return pid.object_uuid if pid is not None else None


def version_position(record):
    """(parent UUID, version index) of a record, or (None, None).

    ``record`` is a record API object (what PID providers get) or a dump of one
    (the service's projection in exports, the search source in OAI-PMH).
    """
    if isinstance(record, ChainObject):
        return None, None  # the concept DOI: its links are Invenio's HasVersion
    versions = getattr(record, "versions", None)
    parent = getattr(record, "parent", None)
    if versions is not None and getattr(parent, "id", None) is not None:
        return parent.id, versions.index
    parent_id = (record.get("parent") or {}).get("id")
    versions = record.get("versions") or {}
    index = versions.get("index")
    if not parent_id or not index or (index == 1 and versions.get("is_latest")):
        # The first version and still the latest has no neighbour: no query (most records of a
        # harvest; an OAI-PMH datacite page asked two per record).
        return None, None
    return _parent_uuid(parent_id), index


def neighbours(record):
    """(previous version, next version) with a DOI, as dicts of ``id``, ``doi``, ``provider``; or None."""
    parent_uuid, index = version_position(record)
    if parent_uuid is None or index is None:
        return None, None
    model = RDMRecord.model_cls

    def field(*path):
        return func.jsonb_extract_path_text(model.json, *path)

    doi = field("pids", "doi", "identifier")
    siblings = (
        db.session.query(model.index, field("id"), doi, field("pids", "doi", "provider"))
        .filter(
            model.parent_id == parent_uuid,
            model.index != index,
            model.deletion_status == RecordDeletionStatusEnum.PUBLISHED,
            doi.isnot(None),
        )
        .order_by(model.index)
        .all()
    )
    found = [
        (position, {"id": recid, "doi": value, "provider": provider})
        for position, recid, value, provider in siblings
    ]
    previous = [version for position, version in found if position < index]
    following = [version for position, version in found if position > index]
    return (previous[-1] if previous else None), (following[0] if following else None)


def previous_version(record):
    """The version before this one that has a DOI (``id``, ``doi``, ``provider``), or None."""
    return neighbours(record)[0]


def version_relations(record):
    """DataCite ``relatedIdentifiers`` linking a version to the versions before and after it."""
    return [
        {"relatedIdentifier": version["doi"], "relationType": relation, "relatedIdentifierType": "DOI"}
        for version, relation in zip(
            neighbours(record), (IS_NEW_VERSION_OF, IS_PREVIOUS_VERSION_OF), strict=True
        )
        if version
    ]


def with_version_relations(document, record):
    """A DataCite 4.5 document (dict) with the record's version relations added, once."""
    relations = version_relations(record)
    if not relations:
        return document
    present = {
        (str(item.get("relatedIdentifier", "")).lower(), item.get("relationType"))
        for item in document.get("relatedIdentifiers") or []
    }
    missing = [
        item for item in relations if (item["relatedIdentifier"].lower(), item["relationType"]) not in present
    ]
    if missing:
        document["relatedIdentifiers"] = [*(document.get("relatedIdentifiers") or []), *missing]
    return document
