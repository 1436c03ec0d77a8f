"""OAI-PMH sets: one per physics domain, and set membership without percolators.

InvenioRDM finds a record's sets by percolating it against one stored query per
set. The embedded search server has no percolator, and percolating every page of
a harvest is not needed: a page holds at most ``OAISERVER_PAGE_SIZE`` records,
so ``sets_for_records`` asks, for every set, which of the page's record ids match
the set's query: one multi-search round trip with one small filtered search per
set (a few dozen sets), each answered from the ``id`` keyword and the filter
cache on real OpenSearch. It is what both GetRecord
(``OAISERVER_RECORD_SETS_FETCHER``) and the list verbs (server.py) use.
"""

from flask import current_app
from invenio_db import db
from invenio_oaiserver.models import OAISet
from invenio_oaiserver.query import query_string_parser
from invenio_search import RecordsSearch, current_search_client
from invenio_search.engine import dsl

from ..registry_entries.entries import vocabulary_entries

DOMAIN_SET_PREFIX = "demos-domain:"


def domain_set_pattern(domain_id):
    """The search pattern of a domain's set (the custom field's vocabulary id)."""
    return f"custom_fields.demos\\:domain.id:{domain_id}"


def ensure_domain_oai_sets():
    """Create the missing ``demos-domain:<id>`` sets (idempotent); returns how many were created."""
    domains = vocabulary_entries("demosdomains", fresh=True)
    existing = {spec for (spec,) in db.session.query(OAISet.spec)}
    created = 0
    for domain in domains:
        spec = f"{DOMAIN_SET_PREFIX}{domain['id']}"
        if spec in existing:
            continue
        title = domain["title"]["en"]
        db.session.add(
            OAISet(
                spec=spec,
                name=f"{title} models",
                description=f"Statistical models of {title.lower()} results",
                search_pattern=domain_set_pattern(domain["id"]),
                system_created=True,
            )
        )
        created += 1
    db.session.commit()
    return created


def _set_query(oai_set, record_ids):
    """Which of these records belong to the set."""
    return (
        RecordsSearch(index=str(current_app.config["OAISERVER_RECORD_INDEX"]))
        .filter("terms", id=record_ids)
        .query(query_string_parser(oai_set.search_pattern))
        .source(["id"])
        .extra(size=len(record_ids), track_total_hits=False)
    )


def sets_for_records(records):
    """The set specs of each record (records are index sources with an ``id``)."""
    if not records:
        return []
    record_ids = [record["id"] for record in records]
    oai_sets = [oai_set for oai_set in OAISet.query.order_by(OAISet.spec) if oai_set.search_pattern]
    specs_of = {record_id: [] for record_id in record_ids}
    if oai_sets:
        searches = dsl.MultiSearch(using=current_search_client)
        for oai_set in oai_sets:
            searches = searches.add(_set_query(oai_set, record_ids))
        for oai_set, response in zip(oai_sets, searches.execute(raise_on_error=True), strict=True):
            for hit in response:
                specs_of[hit.id].append(oai_set.spec)
    return [specs_of[record_id] for record_id in record_ids]


def find_sets_for_record(record):
    """``OAISERVER_RECORD_SETS_FETCHER``: the set specs of one record."""
    return sets_for_records([record])[0]
