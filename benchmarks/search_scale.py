"""Benchmark: record search with facets at 1,000 and 10,000 models, and what its parts cost on the search server.

Fills the records index of the benchmark instance (``benchmarks/serve.sh``, at least one
published model: ``python benchmarks/bulk_load.py --count 6``) with copies of a published
model's search document — new ids, domains, collaborations, engines, tags and titles varied
per copy — up to each size, then times, in-process:

- ``records service``: the search ``/api/records`` runs (anonymous, 10 hits, every facet, hits
  serialised), for full text (``q=model``) and a facet filter (``domain=neutrino``);
- ``search server, hits only``: that search's request without its aggregations;
- ``search server, aggregations only``: its aggregations alone (``size: 0``).

The copies live only
in the search index (no database rows): they measure search and serialisation, not record reads.
They are removed at the end. Markdown table on stdout, JSON in var/bench/search_scale.json.

    source var/bench/env.sh && python benchmarks/search_scale.py [--sizes 1000 10000] [--repeats 15]
"""

import argparse
import copy
import json
import statistics
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY_MARK = "search-scale-copy"
DOMAINS = ["particle", "neutrino", "astroparticle", "nuclear", "hadron", "laser-plasma"]
COLLABORATIONS = ["atlas", "cms", "lhcb", "belle-ii", "alice", "na62", "panda", "cbm"]
ENGINES = ["pyhf", "pyhs3", "roofit"]
WORDS = ["sbottom", "higgs", "dark-matter", "neutrino-mass", "b-meson", "top", "tau", "jets"]


def source_document(client, alias):
    """The search document of one published model that is not a copy."""
    hits = client.search(
        index=alias,
        body={
            "size": 1,
            "query": {"bool": {"must_not": {"term": {"custom_fields.demos:tags.keyword": COPY_MARK}}}},
        },
    )["hits"]["hits"]
    if not hits:
        raise SystemExit(
            "no published model in the index: run 'python benchmarks/bulk_load.py --count 6' first"
        )
    return hits[0]["_source"]


def copy_of(document, number):
    """A copy with its own ids and varied facet values."""
    doc = copy.deepcopy(document)
    doc["uuid"] = str(uuid.uuid4())
    doc["id"] = f"scale-{number:06d}"
    doc.setdefault("pids", {})
    # osmem gives related identifiers back in a shape its own mapping then refuses: left out.
    doc["metadata"].pop("related_identifiers", None)
    doc["metadata"]["title"] = f"Scale copy {number} of {WORDS[number % len(WORDS)]} model"
    fields = doc.setdefault("custom_fields", {})
    for name, values in (
        ("demos:domain", DOMAINS),
        ("demos:collaboration", COLLABORATIONS),
        ("demos:engine", ENGINES),
    ):
        if isinstance(fields.get(name), dict):
            fields[name] = {**fields[name], "id": values[number % len(values)]}
    fields["demos:tags"] = [COPY_MARK, WORDS[number % len(WORDS)], WORDS[(number * 7) % len(WORDS)]]
    return doc


def fill(client, index, document, start, stop):
    """Index copies start..stop-1."""
    from opensearchpy.helpers import bulk

    copies = (copy_of(document, number) for number in range(start, stop))
    actions = ({"_index": index, "_id": doc["uuid"], "_source": doc} for doc in copies)
    bulk(client, actions, chunk_size=200, refresh=True, request_timeout=300)


def remove_copies(client, alias):
    """Delete every copy from the index."""
    client.delete_by_query(
        index=alias,
        body={"query": {"term": {"custom_fields.demos:tags.keyword": COPY_MARK}}},
        refresh=True,
        request_timeout=600,
    )


def timed(function, repeats):
    """Median and 95th percentile (ms) of repeated calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return round(statistics.median(times), 1), round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)


def main():
    """Fill to each size, time the searches, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    from flask_principal import Identity
    from invenio_access.permissions import any_user
    from invenio_app.factory import create_api
    from invenio_rdm_records.proxies import current_rdm_records_service
    from invenio_rdm_records.records.api import RDMRecord
    from invenio_search import current_search_client
    from invenio_search.utils import prefix_index

    app = create_api()
    results = []
    with app.app_context():
        alias = prefix_index(RDMRecord.index.search_alias)
        index = next(iter(current_search_client.indices.get_alias(index=alias)))
        anonymous = Identity(None)
        anonymous.provides.add(any_user)
        document = source_document(current_search_client, alias)
        remove_copies(current_search_client, alias)

        def parts(params):
            """The service's search, and its request split into hits and aggregations."""
            body = current_rdm_records_service._search("search", anonymous, dict(params), None).to_dict()
            aggregations = {"size": 0, "query": body["query"], "aggs": body.pop("aggs")}
            return {
                "records service": lambda: current_rdm_records_service.search(
                    anonymous, params=dict(params)
                ).to_dict(),
                "search server, hits only": lambda: current_search_client.search(index=alias, body=body),
                "search server, aggregations only": lambda: current_search_client.search(
                    index=alias, body=aggregations
                ),
            }

        searches = {
            "full text (q=model)": {"q": "model", "size": 10},
            "facet filter (domain)": {"size": 10, "facets": {"domain": ["neutrino"]}},
        }
        filled = 0
        try:
            for size in args.sizes:
                print(f"filling the index to {size} copies ...", flush=True)
                fill(current_search_client, index, document, filled, size)
                filled = size
                for name, params in searches.items():
                    for label, call in parts(params).items():
                        p50, p95 = timed(call, args.repeats)
                        results.append(
                            {"models": size, "search": name, "path": label, "p50_ms": p50, "p95_ms": p95}
                        )
                        print(f"  {size} {name} {label}: p50 {p50} ms, p95 {p95} ms", flush=True)
        finally:
            remove_copies(current_search_client, alias)

    print("\n| models | search | measured | p50 ms | p95 ms |\n|---|---|---|---|---|")
    for row in results:
        print(f"| {row['models']:,} | {row['search']} | {row['path']} | {row['p50_ms']} | {row['p95_ms']} |")
    out = ROOT / "var" / "bench" / "search_scale.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
