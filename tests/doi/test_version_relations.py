"""Versions linked both ways (IsNewVersionOf / IsPreviousVersionOf) everywhere DataCite metadata leaves.

DataCite, the ``datacite-json`` / ``datacite-xml`` exports, the REST API's DataCite
content types and the OAI-PMH DataCite formats must tell the same story: a harvester
that only reads OAI-PMH, or a user who only downloads the export, sees the chain too.
"""

import uuid

import pytest
import sqlalchemy as sa
from flask import current_app
from invenio_db import db as invenio_db
from lxml import etree
from rest_helpers import model_metadata

from demos_registry.doi.relations import version_relations

DATACITE_NS = "{http://datacite.org/schema/kernel-4}"
OAI_DATACITE_NS = "{http://schema.datacite.org/oai/oai-1.1/}"


def unique_title(text):
    """A title no other test uses."""
    return f"{text} {uuid.uuid4().hex[:8]}"


def relations_of(related_identifiers):
    """(identifier, relation type) pairs of DataCite JSON related identifiers."""
    return {(item["relatedIdentifier"].lower(), item["relationType"]) for item in related_identifiers or []}


def xml_relations(element):
    """(identifier, relation type) pairs of the relatedIdentifier elements of a DataCite XML tree."""
    return {
        (item.text.lower(), item.get("relationType"))
        for item in element.iter(f"{DATACITE_NS}relatedIdentifier")
    }


def new_version(client, api_headers, record, publish_model):
    """Publish the next version of a record (same file) through the REST API."""
    draft = client.post(f"/api/records/{record['id']}/versions", headers=api_headers).json
    client.post(f"/api/records/{draft['id']}/draft/actions/files-import", headers=api_headers)
    draft["metadata"]["version"] = f"v{draft['versions']['index']}"
    draft["metadata"]["publication_date"] = "2025-01-01"
    response = client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=draft)
    assert response.status_code == 200, response.json
    return publish_model(None, draft_id=draft["id"])


def doi_of(record):
    """The record's own DOI, lower case (as DataCite stores it)."""
    return record["pids"]["doi"]["identifier"].lower()


@pytest.fixture()
def two_versions(client, api_headers, publish_model):
    """v1 published, then v2: (v1 as read after v2's publication, v2)."""
    first = publish_model(model_metadata(unique_title("Linked versions")))
    second = new_version(client, api_headers, first, publish_model)
    first = client.get(f"/api/records/{first['id']}", headers=api_headers).json
    return first, second


def test_datacite_holds_both_directions(datacite, two_versions):
    """v2 IsNewVersionOf v1 and, once v2 is registered, v1 IsPreviousVersionOf v2 on DataCite."""
    first, second = two_versions
    on_datacite = datacite.dois()
    assert (doi_of(first), "IsNewVersionOf") in relations_of(
        on_datacite[doi_of(second)]["relatedIdentifiers"]
    )
    first_relations = relations_of(on_datacite[doi_of(first)]["relatedIdentifiers"])
    assert (doi_of(second), "IsPreviousVersionOf") in first_relations
    assert not any(relation == "IsNewVersionOf" for _, relation in first_relations)
    assert first["custom_fields"]["demos:doi_registration"]["version"]["status"] == "registered"


def test_third_version_moves_the_link(datacite, client, api_headers, publish_model, two_versions):
    """v3: v2 gains IsPreviousVersionOf v3 (and keeps IsNewVersionOf v1); v1 still points at v2."""
    first, second = two_versions
    third = new_version(client, api_headers, second, publish_model)
    on_datacite = datacite.dois()
    assert relations_of(on_datacite[doi_of(second)]["relatedIdentifiers"]) >= {
        (doi_of(first), "IsNewVersionOf"),
        (doi_of(third), "IsPreviousVersionOf"),
    }
    first_relations = relations_of(on_datacite[doi_of(first)]["relatedIdentifiers"])
    assert (doi_of(second), "IsPreviousVersionOf") in first_relations
    assert (doi_of(third), "IsPreviousVersionOf") not in first_relations


def test_exports_show_both_directions(client, api_headers, two_versions):
    """/records/<id>/export/datacite-json|datacite-xml and the REST DataCite types carry the links."""
    first, second = two_versions
    expected = {
        first["id"]: (doi_of(second), "IsPreviousVersionOf"),
        second["id"]: (doi_of(first), "IsNewVersionOf"),
    }
    for record_id, relation in expected.items():
        response = client.get(f"/records/{record_id}/export/datacite-json")
        assert response.status_code == 200
        assert relation in relations_of(response.json["relatedIdentifiers"])

        response = client.get(f"/records/{record_id}/export/datacite-xml")
        assert response.status_code == 200
        assert relation in xml_relations(etree.fromstring(response.data))

        headers = {**api_headers, "Accept": "application/vnd.datacite.datacite+json"}
        response = client.get(f"/api/records/{record_id}", headers=headers)
        assert relation in relations_of(response.json["relatedIdentifiers"])
        headers["Accept"] = "application/vnd.datacite.datacite+xml"
        response = client.get(f"/api/records/{record_id}", headers=headers)
        assert relation in xml_relations(etree.fromstring(response.data))


def test_oai_datacite_formats_show_both_directions(client, two_versions):
    """OAI-PMH GetRecord in ``datacite`` and ``oai_datacite`` carries the links, like the exports."""
    first, second = two_versions
    expected = {
        first["pids"]["oai"]["identifier"]: (doi_of(second), "IsPreviousVersionOf"),
        second["pids"]["oai"]["identifier"]: (doi_of(first), "IsNewVersionOf"),
    }
    assert {"datacite", "oai_datacite"} <= set(current_app.config["OAISERVER_METADATA_FORMATS"])
    for identifier, relation in expected.items():
        for prefix in ("datacite", "oai_datacite", "datacite4", "oai_datacite4"):
            response = client.get(
                "/oai2d",
                query_string={"verb": "GetRecord", "metadataPrefix": prefix, "identifier": identifier},
            )
            assert response.status_code == 200
            tree = etree.fromstring(response.data)
            assert relation in xml_relations(tree), prefix
            if prefix.startswith("oai_"):
                assert tree.find(f".//{OAI_DATACITE_NS}payload") is not None


def test_single_version_has_no_version_links(client, publish_model):
    """A model with one version: IsVersionOf its concept DOI, and no version-to-version link."""
    record = publish_model(model_metadata(unique_title("Only version")))
    relations = relations_of(
        client.get(f"/records/{record['id']}/export/datacite-json").json["relatedIdentifiers"]
    )
    assert not {relation for _, relation in relations} & {"IsNewVersionOf", "IsPreviousVersionOf"}
    assert (record["parent"]["pids"]["doi"]["identifier"].lower(), "IsVersionOf") in relations


def test_a_dump_of_a_first_and_latest_version_asks_the_database_nothing(database):
    """An OAI-PMH page dumps search hits: a model's only version costs no query for its neighbours."""
    statements = []

    def count(*args):
        statements.append(args)

    only = {"parent": {"id": "no-such-parent"}, "versions": {"index": 1, "is_latest": True}}
    later = {"parent": {"id": "no-such-parent"}, "versions": {"index": 2, "is_latest": True}}
    engine = invenio_db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert version_relations(only) == []
        assert statements == []
        assert version_relations(later) == []
        assert statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
