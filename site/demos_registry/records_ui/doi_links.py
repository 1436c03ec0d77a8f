"""DOI links that resolve: the resolver of the DataCite environment the registry mints DOIs in.

InvenioRDM links every DOI to https://handle.test.datacite.org/ while
``DATACITE_TEST_MODE`` is on, an address that no longer resolves (DataCite's test
resolver is https://handle.stage.datacite.org/), and does so even for a DOI the
submitter brought from elsewhere, which resolves at doi.org like any real DOI.
Here a record's ``doi``, ``self_doi`` and ``parent_doi`` links go to:

- https://doi.org/ for an external DOI and in production (``DATACITE_TEST_MODE`` off);
- https://handle.stage.datacite.org/ for DataCite's test environment;
- ``<DATACITE_URL>/dois/`` for a local DataCite-protocol server (development: its DOIs
  resolve nowhere, the server's document of the DOI says where it points);
- ``DEMOS_DOI_RESOLVER_URL`` when set, whatever the environment.

The links feed every consumer at once: the REST API, the landing page (DOI badge,
versions list), the citation and the exports.
"""

from urllib.parse import urlsplit

from flask import current_app
from invenio_rdm_records.services.config import (
    RDMRecordServiceConfig,
    RecordPIDLink,
    has_doi,
    is_record_or_draft_and_has_parent_doi,
)

DOI_ORG = "https://doi.org/"
DATACITE_TEST_RESOLVER = "https://handle.stage.datacite.org/"
EXTERNAL_PROVIDER = "external"


def minted_doi_resolver(config):
    """Base URL at which a DOI the registry minted resolves in the configured environment."""
    if config.get("DEMOS_DOI_RESOLVER_URL"):
        return config["DEMOS_DOI_RESOLVER_URL"]
    if not config.get("DATACITE_TEST_MODE"):
        return DOI_ORG
    server = config.get("DATACITE_URL") or ""
    host = urlsplit(server).hostname or ""
    if server and host != "datacite.org" and not host.endswith(".datacite.org"):
        return f"{server.rstrip('/')}/dois/"
    return DATACITE_TEST_RESOLVER


def doi_resolver(provider):
    """Base URL of the resolver of a DOI given by ``provider`` (``external`` or a minting provider)."""
    if provider == EXTERNAL_PROVIDER:
        return DOI_ORG
    return minted_doi_resolver(current_app.config)


def _resolver_of(pids_of):
    def add_resolver(record, vars):
        vars["resolver"] = doi_resolver(((pids_of(record) or {}).get("doi") or {}).get("provider"))

    return add_resolver


RECORD_DOI_LINK = RecordPIDLink("{+resolver}{+pid_doi}", when=has_doi, vars=_resolver_of(lambda r: r.pids))
PARENT_DOI_LINK = RecordPIDLink(
    "{+resolver}{+parent_pid_doi}",
    when=is_record_or_draft_and_has_parent_doi,
    vars=_resolver_of(lambda r: r.parent.pids),
)


def link_dois_to_their_resolver(links_item=RDMRecordServiceConfig.links_item):
    """Point the DOI links of the records service at the resolver, in place.

    The service's links are a class attribute of its configuration, shared by the
    configurations derived from it (media files, every app's build), with no setting
    to change them.
    """
    links_item.update({"doi": RECORD_DOI_LINK, "self_doi": RECORD_DOI_LINK, "parent_doi": PARENT_DOI_LINK})
