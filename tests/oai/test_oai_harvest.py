"""OAI-PMH harvesting with a real client (sickle) over HTTP, page size 4.

What a harvester should see is read from the database tables (records, their OAI
identifiers in the PID store, their communities), not from the search the server runs.
"""

import uuid
from collections import defaultdict
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from flask import current_app, g
from flask_principal import AnonymousIdentity
from invenio_access.permissions import any_user, system_identity
from invenio_cache import current_cache
from invenio_db import db
from invenio_oaiserver.models import OAISet
from invenio_rdm_records.oai import dublincore_etree as invenio_dublincore_etree
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search import current_search_client
from invenio_search.utils import build_alias_name
from rest_helpers import create_draft, publish, record_metadata, refresh_records_index
from sickle.oaiexceptions import IdDoesNotExist

from demos_registry.oai.server import OAI_ENDPOINT, harvest_response
from demos_registry.oai.sets import ensure_domain_oai_sets

FORMATS = ("oai_dc", "datacite", "oai_datacite", "marcxml")
OAI_PREFIX = "oai:demos.registry:"
DOMAINS = ("particle", "hadron", "nuclear", "neutrino", "astroparticle", "laser-plasma")
DOMAIN_SETS = {f"demos-domain:{domain}" for domain in DOMAINS}
COMMUNITY_SETS = {f"community-demos-{domain}" for domain in DOMAINS}
"""The domains of app_data/vocabularies/demos_domains.yaml; the set-up makes a community of each."""

PUBLIC_RECORDS = sa.text(
    """
    SELECT oai.pid_value AS identifier,
           record.deletion_status = 'P' AS published,
           record.json -> 'custom_fields' -> 'demos:domain' ->> 'id' AS domain,
           community.slug AS community,
           record.json -> 'metadata' -> 'resource_type' ->> 'id' AS resource_type,
           record.json -> 'access' ->> 'files' AS files
    FROM rdm_records_metadata AS record
    JOIN pidstore_pid AS oai ON oai.object_uuid = record.id AND oai.pid_type = 'oai'
    LEFT JOIN rdm_parents_community AS parent ON parent.record_id = record.parent_id
    LEFT JOIN communities_metadata AS community
        ON community.id = parent.community_id
        AND community.json -> 'access' ->> 'visibility' = 'public'
    WHERE record.json -> 'access' ->> 'record' = 'public'
    """
)
"""Every public record with an OAI identifier (tombstones too), once per public community."""


class PublicRecord(NamedTuple):
    """What a harvester should see of a record."""

    published: bool
    set_specs: set


def public_records():
    """OAI identifier → PublicRecord of every public record (tombstones too), from SQL."""
    published, set_specs = {}, defaultdict(set)
    with db.engine.connect() as connection:
        for row in connection.execute(PUBLIC_RECORDS):
            published[row.identifier] = row.published
            if row.domain:
                set_specs[row.identifier].add(f"demos-domain:{row.domain}")
            if row.community:
                set_specs[row.identifier].add(f"community-{row.community}")
            # Invenio's own sets (invenio_app_rdm/fixtures/data/oai_sets.yaml), by their search patterns:
            if row.resource_type == "dataset":
                set_specs[row.identifier].add("openaire_data")
            if row.files == "public" and row.resource_type in ("publication", "poster", "presentation"):
                set_specs[row.identifier].add("openaire")
    return {
        identifier: PublicRecord(published[identifier], set_specs[identifier]) for identifier in published
    }


def published_identifiers():
    """OAI identifiers of the public records that are not deleted."""
    return {identifier for identifier, record in public_records().items() if record.published}


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


def list_since(harvester, since):
    """ListIdentifiers from a datestamp on, deleted records included."""
    return harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": since})


def test_the_configured_app_serves_the_registry_view(app, client, harvester):
    """The registry's extension put its view on /oai2d; its settings (oai/config.py) are in force."""
    assert app.view_functions[OAI_ENDPOINT] is harvest_response
    assert app.config["OAISERVER_RECORD_SETS_FETCHER"] == "demos_registry.oai.sets:find_sets_for_record"
    assert app.config["OAISERVER_REGISTER_SET_SIGNALS"] is False
    assert harvester.Identify().repositoryName == "DEMOS Model Registry"


@pytest.mark.parametrize("query", ["verb=Harvest", "", "verb=ListSets&verb=ListSets"])
def test_an_unknown_missing_or_repeated_verb_is_a_bad_verb(client, query):
    """OAI-PMH 2.0, 3.6: an illegal or repeated verb is ``badVerb``, in an HTTP 200."""
    response = client.get(f"/oai2d?{query}")
    assert response.status_code == 200
    assert response.data.count(b'<error code="badVerb">') == 1, response.data


def test_a_bad_argument_is_still_bad_argument(client):
    """A valid verb with an argument it does not take stays ``badArgument``."""
    response = client.get("/oai2d", query_string={"verb": "Identify", "set": "x"})
    assert response.status_code == 200
    assert b'code="badArgument"' in response.data and b"badVerb" not in response.data


def test_full_harvest_in_every_format_crosses_resumption_tokens(harvester):
    """Every public record once per format, over several pages of 4."""
    refresh_records_index()
    expected = published_identifiers()
    assert len(expected) > 3 * current_app.config["OAISERVER_PAGE_SIZE"]
    assert all(identifier.startswith(OAI_PREFIX) for identifier in expected)

    headers = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True))
    listed = [header.identifier for header in headers]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    for prefix in FORMATS:
        records = list(harvester.ListRecords(metadataPrefix=prefix, ignore_deleted=True))
        identifiers = [record.header.identifier for record in records]
        assert sorted(identifiers) == sorted(expected), prefix
        assert all(record.raw and "<metadata>" in record.raw for record in records), prefix


OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
DC_NS = "{http://purl.org/dc/elements/1.1/}"


def dublin_core(element):
    """(element, text) of a Dublin Core record, in document order."""
    return [(child.tag.replace(DC_NS, "dc:"), (child.text or "").strip()) for child in element]


def invenio_s_dublin_core(app, record_id):
    """Dublin Core of a record by invenio-rdm-records' own ``oai_dc`` serializer (the records service's item)."""
    found = current_search_client.search(
        index=build_alias_name("rdmrecords-records"), body={"query": {"term": {"id": record_id}}}
    )
    (hit,) = found["hits"]["hits"]
    with app.test_request_context():
        anonymous = AnonymousIdentity()
        anonymous.provides.add(any_user)
        g.identity = anonymous
        return dublin_core(invenio_dublincore_etree(None, hit))


def test_dublin_core_is_what_invenio_s_own_serializer_writes(app, harvester):
    """``oai_dc`` is dumped from the hit (oai/formats.py), not through the records service: same XML."""
    refresh_records_index()
    harvested = {
        item.header.identifier: dublin_core(item.xml.find(f".//{OAI_NS}metadata")[0])
        for item in harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True)
    }
    assert set(harvested) == published_identifiers()
    for identifier, fields in harvested.items():
        assert fields == invenio_s_dublin_core(app, identifier.removeprefix(OAI_PREFIX)), identifier
    elements = {element for fields in harvested.values() for element, _ in fields}
    assert {"dc:title", "dc:creator", "dc:identifier", "dc:relation", "dc:rights", "dc:subject"} <= elements


def test_last_page_of_exact_multiple_has_no_token(harvester, client, api_headers):
    """A list size that is a multiple of the page size: the last full page ends it (upstream #2715)."""
    page_size = current_app.config["OAISERVER_PAGE_SIZE"]
    total = len(public_records())
    while total % page_size:
        publish_dataset(client, api_headers, "Fills the last page")
        total += 1
    assert len(public_records()) == total
    response = harvester.ListIdentifiers(metadataPrefix="oai_dc")
    pages, token = 1, response.resumption_token
    while token and token.token:
        response = harvester.ListIdentifiers(resumptionToken=token.token)
        pages, token = pages + 1, response.resumption_token
    assert pages == total // page_size
    assert int(token.complete_list_size) == total


def test_sets_per_domain_and_community(harvester):
    """Domain and community sets are listed, and every record's header carries exactly its sets."""
    specs = {oai_set.setSpec for oai_set in harvester.ListSets()}
    assert {spec for spec in specs if spec.startswith("demos-domain:")} == DOMAIN_SETS
    assert specs >= COMMUNITY_SETS

    expected = {
        identifier: record.set_specs for identifier, record in public_records().items() if record.published
    }
    everything = {
        header.identifier: set(header.setSpecs)
        for header in harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True)
    }
    assert everything == expected
    for spec in sorted(DOMAIN_SETS | COMMUNITY_SETS):
        members = {identifier for identifier, record_specs in expected.items() if spec in record_specs}
        assert members, f"no demo model in {spec}"
        listed = harvester.ListIdentifiers(metadataPrefix="oai_dc", set=spec, ignore_deleted=True)
        assert {header.identifier for header in listed} == members, spec
    particle = next(
        identifier for identifier, record_specs in expected.items() if "demos-domain:particle" in record_specs
    )
    record = harvester.GetRecord(identifier=particle, metadataPrefix="oai_datacite")
    assert set(record.header.setSpecs) == expected[particle]


def test_domain_sets_are_created_once(database):
    """The instance set-up made the six domain sets; making them again creates none."""
    assert {spec for (spec,) in db.session.query(OAISet.spec)} >= DOMAIN_SETS
    before = OAISet.query.count()
    assert ensure_domain_oai_sets() == 0
    assert OAISet.query.count() == before


def test_domain_sets_come_from_the_index_not_from_a_stale_cache(database):
    """The set-up reads the domains from the index, not from Invenio's ``read_all`` cache.

    ``read_all`` keeps what it read in the application cache, also an empty list read while a
    refilled search server was still empty: the set-up then created no set (seen after a restart).
    """
    stale_key = "demosdomains__id-title"
    current_cache.set(stale_key, {"hits": {"hits": [], "total": {"value": 0, "relation": "eq"}}})
    spec = "demos-domain:neutrino"
    OAISet.query.filter_by(spec=spec).delete()
    db.session.commit()
    try:
        assert ensure_domain_oai_sets() == 1
        assert (
            OAISet.query.filter_by(spec=spec).one().search_pattern
            == "custom_fields.demos\\:domain.id:neutrino"
        )
    finally:
        current_cache.delete(stale_key)
        ensure_domain_oai_sets()


def test_incremental_harvest_sees_new_and_deleted_records(harvester, client, api_headers):
    """from=<datestamp>: only what changed since; a deleted record is announced as deleted."""
    record = publish_dataset(client, api_headers, "Harvested then deleted")
    oai_id = f"{OAI_PREFIX}{record['id']}"
    assert record["pids"]["oai"]["identifier"] == oai_id
    since = record["updated"][:19] + "Z"

    changed = {header.identifier for header in list_since(harvester, since)}
    assert oai_id in changed
    assert len(changed) < len(published_identifiers())

    current_rdm_records_service.delete_record(
        system_identity, record["id"], {"removal_reason": {"id": "spam"}, "is_visible": True}
    )
    refresh_records_index()
    assert public_records()[oai_id].published is False
    headers = {header.identifier: header for header in list_since(harvester, since)}
    assert headers[oai_id].deleted
    records = {
        item.header.identifier: item
        for item in harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": since})
    }
    assert records[oai_id].header.deleted
    assert "<metadata" not in records[oai_id].raw
    assert harvester.GetRecord(identifier=oai_id, metadataPrefix="oai_dc").header.deleted
    listed = {
        header.identifier
        for header in harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True)
    }
    assert oai_id not in listed


def test_restricted_records_are_not_harvested(harvester, client, api_headers):
    """A restricted record is in no list, and GetRecord does not know it."""
    record = publish_dataset(client, api_headers, "Restricted model", access="restricted")
    oai_id = f"{OAI_PREFIX}{record['id']}"
    assert oai_id not in public_records()
    headers = harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False)
    listed = {header.identifier for header in headers}
    assert oai_id not in listed
    with pytest.raises(IdDoesNotExist):
        harvester.GetRecord(identifier=oai_id, metadataPrefix="oai_dc")
