"""Facet counts on the embedded search server: terms facets counted with filters.

On osmem-server 0.1.6 every aggregation that builds buckets from the documents' values
(``terms``, ``composite``, nested ``terms``) costs ~0.1 ms per matched document: at 10,000
models one facet takes 1.1–3 s and the ten facets of a search page more than the client's
10 s timeout, so ``/api/records`` and ``/search`` answered 503 (benchmarks/README.md). A
``filters`` aggregation, one ``term`` filter per value, costs ~2 ms per value whatever the
number of documents. So a terms facet is asked as a filters aggregation over the values the
field can hold, and its buckets are rebuilt as the terms aggregation returns them (count
descending, then key; ``size``; ``sum_other_doc_count``; nested ``inner`` facets alike).

The values a field can hold (its *keys*) are kept in Redis, one set per field:
- every document indexed adds its values (``FacetKeysDumperExt``, a search dumper extension:
  it sees every index write, single or bulk);
- the first search on an index that the registry has not seen (a new index, e.g. the
  in-memory server refilled after a restart, or records indexed before this code) adds the
  values already indexed, one terms aggregation per field, once (marked by the indices' uuids).
A key stays after its last document is gone: it counts 0 and is dropped, as the terms
aggregation never shows an empty bucket. A field with more than ``MAX_KEYS`` keys, or an
aggregation of another shape, is asked as it is.

Used by ``search/aggregations.py`` on the embedded server only; OpenSearch answers terms
aggregations from doc values and keeps them in its request cache.
"""

from functools import lru_cache

import redis
from flask import current_app
from invenio_records.dumpers import SearchDumperExt

from .dumpers import add_to_record_dumpers

KEYS_PREFIX = "demos:facet-keys:"
MAX_KEYS = 400
"""Beyond this many values a filters aggregation costs more than the terms one (~1 s)."""
DEFAULT_SIZE = 10
FIELD_PARAMETERS = {"field", "size"}
"""A terms facet with other parameters (order, include, min_doc_count, ...) is asked as it is."""


def terms_facet(spec):
    """(field, size, inner spec or None) of a terms facet this module counts, else None."""
    terms = spec.get("terms")
    if not terms or set(terms) - FIELD_PARAMETERS or set(spec) - {"terms", "aggs"}:
        return None
    inner = None
    if "aggs" in spec:
        if set(spec["aggs"]) != {"inner"}:
            return None
        inner = terms_facet(spec["aggs"]["inner"])
        if inner is None or inner[2] is not None:
            return None
    return terms["field"], terms.get("size", DEFAULT_SIZE), inner


def facet_fields():
    """The fields of the record search's terms facets (``RDM_FACETS``), inner ones included.

    Read on every index write (``FacetKeysDumperExt``), so worked out once per application.
    """
    fields = current_app.extensions.get("demos-facet-fields")
    if fields is None:
        fields = set()
        for facet in current_app.config["RDM_FACETS"].values():
            counted = terms_facet(facet["facet"].get_aggregation().to_dict())
            while counted:
                fields.add(counted[0])
                counted = counted[2]
        current_app.extensions["demos-facet-fields"] = fields
    return fields


def values_at(data, path):
    """The scalar values at a dotted path of a document (lists along the way included)."""
    found = [data]
    for name in path.split("."):
        step = []
        for item in found:
            value = item.get(name) if isinstance(item, dict) else None
            step.extend(value if isinstance(value, list) else [] if value is None else [value])
        found = step
    return {value for value in found if isinstance(value, str)}


def keys_key(field):
    """The Redis set of a field's keys."""
    return f"{KEYS_PREFIX}{field}"


@lru_cache(maxsize=4)
def _client(url):
    return redis.Redis.from_url(url)


def keys_store():
    """Redis of the application cache (``CACHE_REDIS_URL``), where the key sets live."""
    return _client(current_app.config["CACHE_REDIS_URL"])


class FacetKeysDumperExt(SearchDumperExt):
    """Adds the facet values of every indexed document to the fields' key sets (embedded server only)."""

    def dump(self, record, data):
        """Remember the document's values of every terms facet field."""
        if not current_app.config.get("DEMOS_EMBEDDED_SEARCH"):
            return
        pipeline = keys_store().pipeline(transaction=False)
        for field in facet_fields():
            values = values_at(data, field)
            if values:
                pipeline.sadd(keys_key(field), *values)
        pipeline.execute()

    def load(self, data, record_cls):
        """Nothing was changed in the document."""


def register_facet_keys_dumper():
    """Add the extension to the dumpers of published records and drafts, once per process."""
    add_to_record_dumpers(FacetKeysDumperExt)


def field_keys(client, index, state, fields):
    """The keys of each field; the values already in ``index`` are added once per index ``state`` uuids."""
    marker = f"{KEYS_PREFIX}known:{index}:{','.join(state[2])}"
    connection = keys_store()
    if not connection.exists(marker):
        for field in fields:
            found = client.search(
                index=index, body={"size": 0, "aggs": {"keys": {"terms": {"field": field, "size": 65536}}}}
            )["aggregations"]["keys"]["buckets"]
            keys = [bucket["key"] for bucket in found if isinstance(bucket["key"], str)]
            if keys:
                connection.sadd(keys_key(field), *keys)
        connection.set(marker, 1)
    pipeline = connection.pipeline(transaction=False)
    for field in fields:
        pipeline.smembers(keys_key(field))
    return {
        field: sorted(key.decode() for key in keys)
        for field, keys in zip(fields, pipeline.execute(), strict=True)
    }


def key_filters(field, keys):
    """A filters aggregation with one term filter per key (named by position)."""
    return {"filters": {"filters": {str(number): {"term": {field: key}} for number, key in enumerate(keys)}}}


def terms_buckets(counts, size):
    """The terms aggregation's answer from {key: doc_count}: non-empty buckets, count desc then key."""
    ordered = sorted(
        ((count, key) for key, count in counts.items() if count), key=lambda item: (-item[0], item[1])
    )
    return {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": sum(count for count, _ in ordered[size:]),
        "buckets": ordered[:size],
    }


def facet_counts(client, index, state, request, params):
    """The aggregations of ``request`` (``size: 0``, ``query``, ``aggs``), terms facets counted with filters."""
    counted = {}
    for name, spec in request["aggs"].items():
        facet = terms_facet(spec)
        if facet:
            counted[name] = facet
    fields = sorted({facet[0] for facet in counted.values()} | {f[2][0] for f in counted.values() if f[2]})
    keys = field_keys(client, index, state, fields)
    counted = {
        name: facet
        for name, facet in counted.items()
        if len(keys[facet[0]]) <= MAX_KEYS and (not facet[2] or len(keys[facet[2][0]]) <= MAX_KEYS)
    }
    aggs = {name: spec for name, spec in request["aggs"].items() if name not in counted}
    for name, (field, _, inner) in counted.items():
        if keys[field]:
            aggs[name] = key_filters(field, keys[field])
            if inner and keys[inner[0]]:
                aggs[name]["aggs"] = {"inner": key_filters(inner[0], keys[inner[0]])}
    answer = (
        client.search(index=index, body={**request, "aggs": aggs}, **params)["aggregations"] if aggs else {}
    )
    for name, (field, size, inner) in counted.items():
        buckets = answer[name]["buckets"] if keys[field] else {}
        answer[name] = rebuilt(buckets, keys[field], size, inner and (keys[inner[0]], inner[1]))
    return answer


def rebuilt(buckets, keys, size, inner):
    """A terms answer from the buckets of ``key_filters`` (and its inner facet's keys and size)."""
    counts = {
        key: buckets[str(number)]["doc_count"] for number, key in enumerate(keys) if str(number) in buckets
    }
    answer = terms_buckets(counts, size)
    shown = []
    for count, key in answer["buckets"]:
        bucket = {"key": key, "doc_count": count}
        if inner:
            inner_keys, inner_size = inner
            inner_buckets = buckets[str(keys.index(key))].get("inner", {}).get("buckets", {})
            bucket["inner"] = rebuilt(inner_buckets, inner_keys, inner_size, None)
        shown.append(bucket)
    answer["buckets"] = shown
    return answer
