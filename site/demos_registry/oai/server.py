"""The registry's ``/oai2d``: Invenio's OAI-PMH endpoint with three verbs reworked.

invenio-oaiserver's ``ListRecords`` and ``ListIdentifiers`` call the percolator
(``invenio_oaiserver.percolator.sets_search_all``) directly, announce no deleted
record and page with scroll contexts whose last page, when the list size is a
multiple of the page size, carries a resumption token to an empty page
(inveniosoftware/invenio-app-rdm#2715). This module answers those two verbs and
``GetRecord`` itself; Identify, ListSets and ListMetadataFormats stay Invenio's:

- set membership from ``sets.sets_for_records`` (no percolator);
- deleted records (tombstones of public records) are listed with
  ``<header status="deleted">`` and no metadata; restricted records never appear;
- pages are cut with ``search_after`` on (updated, id): no server-side state, a
  token stays valid for ``OAISERVER_RESUMPTION_TOKEN_EXPIRE_TIME``, and the last
  page carries an empty ``resumptionToken`` as the protocol asks;
- OAI-PMH errors (badArgument, idDoesNotExist, noRecordsMatch, ...) come with
  HTTP 200 as the protocol asks, not 422.

It is wired in one place: ``install_harvest_view(app)`` swaps the view function of
the ``invenio_oaiserver.response`` endpoint (same URL, same error handlers);
``init_oai_server(app)`` does that once the application has loaded its blueprints.
"""

import random
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from flask import current_app, make_response, request
from invenio_base.signals import app_loaded
from invenio_oaiserver import response as invenio_response
from invenio_oaiserver.errors import OAINoRecordsMatchError
from invenio_oaiserver.provider import OAIIDProvider
from invenio_oaiserver.proxies import current_oaiserver
from invenio_oaiserver.resumption_token import _schema_from_verb
from invenio_oaiserver.utils import about_serializer, datetime_to_datestamp, serializer
from invenio_oaiserver.verbs import make_request_validator
from invenio_oaiserver.views.server import use_args
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_rdm_records.records.api import RDMRecord
from invenio_search import RecordsSearch
from invenio_search.engine import dsl
from itsdangerous import URLSafeTimedSerializer
from lxml import etree
from lxml.etree import SubElement

from .sets import sets_for_records

OAI_ENDPOINT = "invenio_oaiserver.response"


class HarvestableRecordsSearch(RecordsSearch):
    """Public records with an OAI identifier, deleted ones included (as tombstones)."""

    class Meta:
        """Only what a harvester may see."""

        default_filter: ClassVar = [
            dsl.Q("exists", field="pids.oai.identifier"),
            dsl.Q("term", **{"access.record": "public"}),
        ]


def _is_deleted(source):
    return bool(source.get("is_deleted")) or source.get("deletion_status", "P") != "P"


def _updated(source):
    return datetime.strptime(source[current_oaiserver.last_update_key][:19], "%Y-%m-%dT%H:%M:%S")


class Page:
    """One page of a harvest, cut with ``search_after``."""

    def __init__(self, arguments):
        """Run the search of the page the arguments (or their token) ask for."""
        token = arguments.get("resumptionToken") or {}
        criteria = {**arguments, **token}  # a token carries the first request's set, from, until
        self.number = token.get("page", 1)
        self.size = current_app.config["OAISERVER_PAGE_SIZE"]
        key = current_oaiserver.last_update_key
        search = (
            HarvestableRecordsSearch(index=str(current_app.config["OAISERVER_RECORD_INDEX"]))
            .sort({key: "asc"}, {"id": "asc"})
            .extra(size=self.size, track_total_hits=True)
        )
        if "set" in criteria:
            search = search.query(current_oaiserver.set_records_query_fetcher(criteria["set"]))
        time_range = {}
        if "from" in criteria:
            time_range["gte"] = criteria["from"]
        if "until" in criteria:
            time_range["lte"] = criteria["until"]
        if time_range:
            search = search.filter("range", **{key: time_range})
        if token.get("search_after"):
            search = search.extra(search_after=token["search_after"])
        response = search.execute().to_dict()
        self.total = response["hits"]["total"]["value"]
        self.hits = response["hits"]["hits"]
        if not self.hits:
            raise OAINoRecordsMatchError()

    @property
    def has_next(self):
        """More records after this page (not when the list ends exactly here)."""
        return self.number * self.size < self.total

    @property
    def cursor(self):
        """How many records came before this page."""
        return (self.number - 1) * self.size

    def next_search_after(self):
        """Sort values of the page's last hit: where the next page starts."""
        return self.hits[-1]["sort"]


def resumption_token(parent, page, arguments):
    """Attach the resumption token: a signed, stateless position in the list."""
    if page.number == 1 and not page.has_next:
        return
    element = SubElement(parent, etree.QName(invenio_response.NS_OAIPMH, "resumptionToken"))
    lifetime = current_app.config["OAISERVER_RESUMPTION_TOKEN_EXPIRE_TIME"]
    element.set(
        "expirationDate",
        datetime_to_datestamp(datetime.now(UTC) + timedelta(seconds=lifetime)),
    )
    element.set("cursor", str(page.cursor))
    element.set("completeListSize", str(page.total))
    if not page.has_next:
        return
    verb = arguments["verb"]
    request_arguments = {**arguments, **(arguments.get("resumptionToken") or {})}
    data = {
        "seed": random.random(),
        "page": page.number + 1,
        "kwargs": _schema_from_verb(verb, partial=False).dump(request_arguments),
        "search_after": page.next_search_after(),
    }
    element.text = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=verb).dumps(data)


def _record_header(parent, hit, sets):
    """Attach the header of a hit; returns the record's OAI identifier."""
    source = hit["_source"]
    pid = current_oaiserver.oaiid_fetcher(hit["_id"], source)
    invenio_response.header(
        parent,
        identifier=pid.pid_value,
        datestamp=_updated(source),
        sets=sets,
        deleted=_is_deleted(source),
    )
    return pid


def listidentifiers(**arguments):
    """ListIdentifiers: headers of one page, deleted records flagged."""
    e_tree, e_list = invenio_response.verb(**arguments)
    page = Page(arguments)
    sets = sets_for_records([hit["_source"] for hit in page.hits])
    for hit, record_sets in zip(page.hits, sets, strict=True):
        _record_header(e_list, hit, record_sets)
    resumption_token(e_list, page, arguments)
    return e_tree


def listrecords(**arguments):
    """ListRecords: one page of records; a deleted one is a header without metadata."""
    token = arguments.get("resumptionToken") or {}
    prefix = token.get("metadataPrefix") or arguments["metadataPrefix"]
    dump_metadata, dump_about = serializer(prefix), about_serializer(prefix)
    e_tree, e_list = invenio_response.verb(**arguments)
    page = Page(arguments)
    sets = sets_for_records([hit["_source"] for hit in page.hits])
    for hit, record_sets in zip(page.hits, sets, strict=True):
        e_record = SubElement(e_list, etree.QName(invenio_response.NS_OAIPMH, "record"))
        pid = _record_header(e_record, hit, record_sets)
        if _is_deleted(hit["_source"]):
            continue
        e_metadata = SubElement(e_record, etree.QName(invenio_response.NS_OAIPMH, "metadata"))
        e_metadata.append(dump_metadata(pid, hit))
        about = dump_about(pid, hit) if dump_about else None
        if about is not None:
            SubElement(e_record, etree.QName(invenio_response.NS_OAIPMH, "about")).append(about)
    resumption_token(e_list, page, arguments)
    return e_tree


def getrecord(**arguments):
    """GetRecord: the record, a deleted header for a tombstone, idDoesNotExist if restricted."""
    pid = OAIIDProvider.get(pid_value=arguments["identifier"]).pid
    stored = RDMRecord.get_record(pid.object_uuid, with_deleted=True)
    if stored.get("access", {}).get("record") != "public":
        raise PIDDoesNotExistError("oai", arguments["identifier"])
    if not stored.deletion_status.is_deleted:
        return invenio_response.getrecord(**arguments)
    e_tree, e_getrecord = invenio_response.verb(**arguments)
    e_record = SubElement(e_getrecord, etree.QName(invenio_response.NS_OAIPMH, "record"))
    invenio_response.header(
        e_record,
        identifier=pid.pid_value,
        datestamp=stored.updated,
        sets=current_oaiserver.record_sets_fetcher(stored),
        deleted=True,
    )
    return e_tree


VERBS = {"ListIdentifiers": listidentifiers, "ListRecords": listrecords, "GetRecord": getrecord}
OAI_PMH_VERBS = ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord")


def harvest_response():
    """The ``/oai2d`` endpoint: our verbs, Invenio's for the rest.

    A missing, repeated or unknown verb is ``badVerb`` (OAI-PMH 2.0, 3.6); invenio-oaiserver
    would answer ``badArgument`` (its error names the field the marshmallow-2 way).
    """
    verbs = request.values.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in OAI_PMH_VERBS:
        given = ", ".join(verbs) or "none"
        message = f"not a valid OAI-PMH verb: {given} (one of {', '.join(OAI_PMH_VERBS)})"
        return xml_response(invenio_response.error([("badVerb", message)]))
    return answer_verb()


@use_args(make_request_validator)
def answer_verb(arguments):
    """The answer to a valid verb; its arguments checked by Invenio's validator."""
    verb = arguments["verb"]
    answer = VERBS.get(verb) or getattr(invenio_response, verb.lower())
    return xml_response(answer(**arguments))


def xml_response(tree):
    """An OAI-PMH XML document as the HTTP response."""
    response = make_response(etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8"))
    response.headers["Content-Type"] = "text/xml"
    return response


def oai_errors_with_status_200(response):
    """OAI-PMH errors travel in the XML of an HTTP 200 (OAI-PMH 2.0, 3.6).

    invenio-oaiserver answers them with 422, which harvesters such as sickle take for
    a transport failure instead of reading ``idDoesNotExist`` or ``noRecordsMatch``.
    """
    if request.endpoint == OAI_ENDPOINT and response.status_code == 422:
        response.status_code = 200
    return response


def install_harvest_view(app):
    """Serve ``/oai2d`` with ``harvest_response`` (no-op on an app without OAI-PMH)."""
    if OAI_ENDPOINT in app.view_functions:
        app.view_functions[OAI_ENDPOINT] = harvest_response
        app.after_request(oai_errors_with_status_200)


def _install_when_loaded(sender, app=None, **kwargs):
    install_harvest_view(app)


def init_oai_server(app):
    """Call from the registry extension's ``init_app``: installs the view once blueprints exist."""
    app_loaded.connect(_install_when_loaded)
