"""OAI-PMH harvesting with a real client (sickle) over HTTP, page size 4."""

import uuid

import pytest
from demos_registry.oai.server import HarvestableRecordsSearch
from demos_registry.oai.sets import ensure_domain_oai_sets
from flask import current_app
from invenio_access.permissions import system_identity
from invenio_oaiserver.models import OAISet
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.engine import dsl
from rest_helpers import create_draft, publish, record_metadata, refresh_records_index
from sickle.oaiexceptions import IdDoesNotExist

FORMATS = ("oai_dc", "datacite", "oai_datacite", "marcxml")


def publish_dataset(client, api_headers, title, access="public"):
    """Publish a record without files; returns its JSON."""
    payload = record_metadata(f"{title} {uuid.uuid4().hex[:8]}")
    payload["files"] = {"enabled": False}
    payload["access"] = {"record": access, "files": access}
    draft = create_draft(client, api_headers, payload)
    assert draft.status_code == 201, draft.json
    response = publish(client, api_headers, draft.json["id"])
    assert response.status_code == 202, response.json
    refresh_records_index()
    return response.json


def harvestable_identifiers(with_deleted=False):
    """OAI identifiers of the public records (and tombstones if asked), as the index has them."""
    search = (
        HarvestableRecordsSearch(index=str(current_app.config["OAISERVER_RECORD_INDEX"]))
        .source(["pids.oai.identifier"])
        .extra(size=1000)
    )
    if not with_deleted:
        search = search.filter(dsl.Q("term", is_deleted=False))
    return {hit.pids.oai.identifier for hit in search.execute()}


def list_since(harvester, since):
    """ListIdentifiers from a datestamp on, deleted records included."""
    return harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": since})


def test_full_harvest_in_every_format_crosses_resumption_tokens(harvester, oai_app):
    """Every public record once per format, over several pages of 4."""
    refresh_records_index()
    expected = harvestable_identifiers()
    assert len(expected) > 3 * current_app.config["OAISERVER_PAGE_SIZE"]

    headers = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True))
    listed = [header.identifier for header in headers]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    for prefix in FORMATS:
        records = list(harvester.ListRecords(metadataPrefix=prefix, ignore_deleted=True))
        identifiers = [record.header.identifier for record in records]
        assert sorted(identifiers) == sorted(listed), prefix
        assert all(record.raw and "<metadata>" in record.raw for record in records), prefix


def test_last_page_of_exact_multiple_has_no_token(harvester, client, api_headers, oai_app):
    """A list size that is a multiple of the page size: the last full page ends it (upstream #2715)."""
    page_size = current_app.config["OAISERVER_PAGE_SIZE"]
    total = len(harvestable_identifiers(with_deleted=True))
    while total % page_size:
        publish_dataset(client, api_headers, "Fills the last page")
        total += 1
    response = harvester.ListIdentifiers(metadataPrefix="oai_dc")
    pages, token = 1, response.resumption_token
    while token and token.token:
        response = harvester.ListIdentifiers(resumptionToken=token.token)
        pages, token = pages + 1, response.resumption_token
    assert pages == total // page_size
    assert int(token.complete_list_size) == total


def test_sets_per_domain_and_community(harvester, oai_app):
    """Domain and community sets are listed, and their members carry them in their headers."""
    specs = {oai_set.setSpec for oai_set in harvester.ListSets()}
    domains = {spec for spec in specs if spec.startswith("demos-domain:")}
    communities = {spec for spec in specs if spec.startswith("community-")}
    assert len(domains) == 6
    assert communities

    everything = {header.identifier: header for header in harvester.ListIdentifiers(metadataPrefix="oai_dc")}
    for spec in sorted(domains | communities):
        members = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set=spec))
        assert members, spec
        for header in members:
            assert spec in header.setSpecs
            assert spec in everything[header.identifier].setSpecs
    particle = next(iter(harvester.ListIdentifiers(metadataPrefix="oai_dc", set="demos-domain:particle")))
    record = harvester.GetRecord(identifier=particle.identifier, metadataPrefix="oai_datacite")
    assert sorted(record.header.setSpecs) == sorted(everything[particle.identifier].setSpecs)


def test_domain_sets_are_created_once(oai_app):
    """ensure_domain_oai_sets is idempotent."""
    before = OAISet.query.count()
    assert ensure_domain_oai_sets() == 0
    assert OAISet.query.count() == before


def test_incremental_harvest_sees_new_and_deleted_records(harvester, client, api_headers, oai_app):
    """from=<datestamp>: only what changed since; a deleted record is announced as deleted."""
    record = publish_dataset(client, api_headers, "Harvested then deleted")
    oai_id = record["pids"]["oai"]["identifier"]
    since = record["updated"][:19] + "Z"

    changed = {header.identifier for header in list_since(harvester, since)}
    assert oai_id in changed
    assert len(changed) < len(harvestable_identifiers())

    current_rdm_records_service.delete_record(
        system_identity, record["id"], {"removal_reason": {"id": "spam"}, "is_visible": True}
    )
    refresh_records_index()
    headers = {header.identifier: header for header in list_since(harvester, since)}
    assert headers[oai_id].deleted
    records = {
        item.header.identifier: item
        for item in harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": since})
    }
    assert records[oai_id].header.deleted
    assert "<metadata" not in records[oai_id].raw
    assert harvester.GetRecord(identifier=oai_id, metadataPrefix="oai_dc").header.deleted
    assert oai_id not in harvestable_identifiers()


def test_restricted_records_are_not_harvested(harvester, client, api_headers, oai_app):
    """A restricted record is in no list, and GetRecord does not know it."""
    record = publish_dataset(client, api_headers, "Restricted model", access="restricted")
    namespace = next(iter(harvestable_identifiers())).rsplit(":", 1)[0]
    oai_id = record["pids"].get("oai", {}).get("identifier", f"{namespace}:{record['id']}")
    headers = harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False)
    listed = {header.identifier for header in headers}
    assert oai_id not in listed
    with pytest.raises(IdDoesNotExist):
        harvester.GetRecord(identifier=oai_id, metadataPrefix="oai_dc")
