"""Aggregations of record searches: asked apart from the hits, and kept until the index changes.

A search page shows ten hits and ten facets. On the embedded search server (osmem-server
0.1.6) a terms aggregation costs ~0.14 µs per document per *mapped field of the index*, and
the RDM record index maps ~180 fields: ~80 ms per facet at 1,000 models, a second for the ten
facets of every search (benchmarks/README.md), while the hits cost a few milliseconds. So a
search with aggregations goes out as two requests: its hits without aggregations, and its
aggregations alone (``size: 0``, no post filter — they never saw it, so a facet filter reuses
the counts of the same query without it).

- On OpenSearch the second request is what the shard request cache keeps until the next
  refresh (``request_cache=true``), so nothing else is needed.
- osmem keeps nothing, and its terms aggregations cost ~0.1 ms per matched document (ten facets
  over 10,000 models: more than the client's timeout). There the terms facets are counted with
  filters aggregations (``facet_counts.py``), and the registry keeps the aggregations in the application cache
  (Redis), keyed by the request and by the state of the indices behind it (``_stats``: the
  number of documents indexed and deleted, every update counts as one indexed, and the uuid of
  each index, so that an index made anew, e.g. refilled after a restart of the in-memory
  server, never matches an entry of the one before; osmem makes a write searchable at once).
  A write therefore always gives the next search fresh counts; what reached the cache under an
  older state is never read again and expires.

The response is the one Invenio builds from a single request (same hits, same aggregations:
``tests/test_search_aggregations.py``). Configured as the ``search_cls`` of the record search
options (``RDM_SEARCH_OPTIONS_CLS``, ``RDM_COMMUNITY_RECORD_SEARCH_OPTIONS_CLS``).
"""

import hashlib
import json

from flask import current_app
from invenio_cache import current_cache
from invenio_rdm_records.records.api import RDMRecord
from invenio_rdm_records.services.config import RDMCommunityRecordSearchOptions, RDMSearchOptions
from invenio_search.api import RecordsSearchV2
from invenio_search.engine import dsl
from invenio_search.proxies import current_search_client
from invenio_search.utils import build_alias_name

from .facet_counts import facet_counts, facet_fields, field_keys

CACHE_PREFIX = "demos:search-aggregations:"
CACHE_SECONDS = 3600
"""Entries outlive no write (the key changes with it); this only bounds the memory of stale ones."""


class SeparateAggregationsSearch(RecordsSearchV2):
    """A records search that asks its aggregations apart from its hits (see the module)."""

    def execute(self, ignore_cache=False):
        """The response of hits and aggregations, as one request would return it."""
        if not ignore_cache and hasattr(self, "_response"):
            return self._response
        body = self.to_dict()
        aggregations = body.pop("aggs", None)
        if not aggregations:
            return super().execute(ignore_cache=ignore_cache)
        client = dsl.connections.get_connection(self._using)
        index = ",".join(self._index) if isinstance(self._index, list | tuple) else self._index
        response = client.search(index=index, body=body, **self._params)
        request = {"size": 0, "aggs": aggregations}
        if "query" in body:
            request["query"] = body["query"]
        response["aggregations"] = self._aggregations(client, index, request)
        self._response = self._response_class(self, response)
        return self._response

    def _aggregations(self, client, index, request):
        params = {**self._params, "request_cache": "true"}
        if not current_app.config.get("DEMOS_EMBEDDED_SEARCH"):
            return client.search(index=index, body=request, **params)["aggregations"]
        state = index_state(client, index)
        shared = {name: value for name, value in params.items() if name != "preference"}
        identity = json.dumps([index, state, request, shared], sort_keys=True, default=str)
        key = CACHE_PREFIX + hashlib.sha256(identity.encode()).hexdigest()
        aggregations = current_cache.get(key)
        if aggregations is None:
            aggregations = facet_counts(client, index, state, request, params)
            current_cache.set(key, aggregations, timeout=CACHE_SECONDS)
        return aggregations


def index_state(client, index):
    """What changes with every write to the indices behind ``index``: writes so far, and which indices."""
    stats = client.indices.stats(
        index=index,
        metric="indexing",
        filter_path=[
            "_all.primaries.indexing.index_total",
            "_all.primaries.indexing.delete_total",
            "indices.*.uuid",
        ],
    )
    indexing = stats["_all"]["primaries"]["indexing"]
    uuids = sorted(entry["uuid"] for entry in stats.get("indices", {}).values())
    return [indexing["index_total"], indexing.get("delete_total", 0), uuids]


def warm_facet_keys():
    """Read the facet values already in the records index, as the first search would; False off osmem.

    An index the registry has not seen (the in-memory server refilled after a restart) makes
    its first search read every facet field's values (10–15 s at 10,000 models); the set-up
    does it instead, so no visitor waits for it.
    """
    if not current_app.config.get("DEMOS_EMBEDDED_SEARCH"):
        return False
    index = build_alias_name(RDMRecord.index.search_alias)
    field_keys(
        current_search_client, index, index_state(current_search_client, index), sorted(facet_fields())
    )
    return True


class RegistrySearchOptions(RDMSearchOptions):
    """RDM's record search options, asking aggregations apart (``RDM_SEARCH_OPTIONS_CLS``)."""

    search_cls = SeparateAggregationsSearch


class RegistryCommunityRecordSearchOptions(RDMCommunityRecordSearchOptions):
    """The same for a community's records (``RDM_COMMUNITY_RECORD_SEARCH_OPTIONS_CLS``)."""

    search_cls = SeparateAggregationsSearch
