"""Grow the benchmark instance to N published models by copying imported ones row by row.

    source var/bench/env.sh && python benchmarks/clone_records.py --total 10000

``bulk_load.py`` imports every model through the registry's services (create, upload,
validate, publish, DOI, community), ~0.8 s a model on 2 cores: 10,000 would take over two
hours. The search, landing page and OAI-PMH benchmarks need models that *read* like real
ones, not the write path again, so this script copies the published records that
``bulk_load.py`` made, database row by row, and indexes the copies in bulk:

- the record, its parent (a model of its own: new record id, parent id, DOI, OAI id and
  DEMOS model id; the title says "clone K"), its versions state and its domain community
  membership (without the inclusion request: the copies were never submitted);
- the PIDs (record id, DOI, OAI id, parent id and DOI, all registered);
- its file and media-file buckets and entries, pointing at the same stored bytes (a file
  instance is shared, as Invenio shares it between versions);
- its invenio-checks run (the curator's view of the validation).

Not copied: the DataCite stand-in's DOI registrations, the Continuum history rows and the
soft-deleted drafts (none of them is read by a search, a landing page or a harvest).
The copies are marked with the tag ``benchmark-clone``; run it again with a larger
``--total`` to grow further.
"""

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

CLONE_TAG = "benchmark-clone"
SOURCE_TAG = "benchmark-data"
BATCH = 250


def rows(session, sql, **params):
    """The rows of a query as dicts."""
    return [dict(row._mapping) for row in session.execute(text(sql), params)]


def insert(session, table, values):
    """Insert dicts (same keys) into a table."""
    if not values:
        return
    columns = list(values[0])
    session.execute(
        text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"),
        values,
    )


def as_json(value):
    """A JSON column value as the driver wants it for a textual insert."""
    return json.dumps(value)


class Source:
    """One imported model and the rows that make it up."""

    def __init__(self, session, record):
        """Read the rows of ``record`` (an rdm_records_metadata row)."""
        self.record = record
        self.parent = rows(
            session, "SELECT * FROM rdm_parents_metadata WHERE id = :id", id=record["parent_id"]
        )[0]
        self.pids = rows(
            session,
            "SELECT * FROM pidstore_pid WHERE object_uuid IN (:record, :parent)",
            record=record["id"],
            parent=record["parent_id"],
        )
        self.communities = rows(
            session, "SELECT * FROM rdm_parents_community WHERE record_id = :id", id=record["parent_id"]
        )
        buckets = [record["bucket_id"], record["media_bucket_id"]]
        self.buckets = rows(session, "SELECT * FROM files_bucket WHERE id = ANY(:ids)", ids=buckets)
        self.objects = rows(session, "SELECT * FROM files_object WHERE bucket_id = ANY(:ids)", ids=buckets)
        self.files = rows(session, "SELECT * FROM rdm_records_files WHERE record_id = :id", id=record["id"])
        self.media = rows(
            session, "SELECT * FROM rdm_records_media_files WHERE record_id = :id", id=record["id"]
        )
        self.checks = rows(
            session, "SELECT * FROM checks_run WHERE record_id = :id AND NOT is_draft", id=record["id"]
        )
        self.recid = record["json"]["id"]
        self.parent_recid = self.parent["json"]["id"]
        self.model_id = record["json"]["custom_fields"]["demos:model_id"]


def new_recid():
    """A record id as Invenio mints them (base32, checksum, ``xxxxx-xxxxx``)."""
    from base32_lib import base32

    return base32.generate(length=10, split_every=5, checksum=True)


def clone(session, source, number):
    """Insert copy ``number`` of ``source``; returns the new record's id."""
    now = datetime.now(UTC)
    ids = {source.record["id"]: uuid.uuid4(), source.parent["id"]: uuid.uuid4()}
    words = {
        source.recid: new_recid(),
        source.parent_recid: new_recid(),
        source.model_id: str(uuid.uuid5(uuid.NAMESPACE_URL, f"demos-clone/{source.model_id}/{number}")),
    }

    def renamed(document):
        value = json.dumps(document)
        for old, new in words.items():
            value = value.replace(old, new)
        return json.loads(value)

    pks = {}
    for pid in source.pids:
        new_pk = session.execute(
            text(
                "INSERT INTO pidstore_pid (pid_type, pid_value, pid_provider, status, object_type, "
                "object_uuid, created, updated) VALUES (:t, :v, :p, :s, :o, :u, :now, :now) RETURNING id"
            ),
            {
                "t": pid["pid_type"],
                "v": renamed(pid["pid_value"]),
                "p": pid["pid_provider"],
                "s": pid["status"],
                "o": pid["object_type"],
                "u": ids[pid["object_uuid"]],
                "now": now,
            },
        ).scalar_one()
        pks[pid["id"]] = new_pk

    parent_json = renamed(source.parent["json"])
    parent_json["pid"]["pk"] = pks[source.parent["json"]["pid"]["pk"]]
    insert(
        session,
        "rdm_parents_metadata",
        [
            {
                "id": ids[source.parent["id"]],
                "json": as_json(parent_json),
                "version_id": 1,
                "created": now,
                "updated": now,
            }
        ],
    )

    buckets = {bucket["id"]: uuid.uuid4() for bucket in source.buckets}
    insert(session, "files_bucket", [{**bucket, "id": buckets[bucket["id"]]} for bucket in source.buckets])
    objects = {item["version_id"]: uuid.uuid4() for item in source.objects}
    insert(
        session,
        "files_object",
        [
            {**item, "version_id": objects[item["version_id"]], "bucket_id": buckets[item["bucket_id"]]}
            for item in source.objects
        ],
    )

    record_json = renamed(source.record["json"])
    record_json["pid"]["pk"] = pks[source.record["json"]["pid"]["pk"]]
    metadata = record_json["metadata"]
    metadata["title"] = f"{metadata['title']} (clone {number})"
    metadata["subjects"] = [*metadata.get("subjects", []), {"subject": CLONE_TAG}]
    custom_fields = record_json["custom_fields"]
    custom_fields["demos:tags"] = [*custom_fields.get("demos:tags", []), CLONE_TAG]
    record_id = ids[source.record["id"]]
    insert(
        session,
        "rdm_records_metadata",
        [
            {
                **source.record,
                "id": record_id,
                "parent_id": ids[source.parent["id"]],
                "bucket_id": buckets[source.record["bucket_id"]],
                "media_bucket_id": buckets[source.record["media_bucket_id"]],
                "json": as_json(record_json),
                "version_id": 1,
                "index": 1,
                "created": now,
                "updated": now,
            }
        ],
    )
    insert(
        session,
        "rdm_versions_state",
        [
            {
                "latest_index": 1,
                "parent_id": ids[source.parent["id"]],
                "latest_id": record_id,
                "next_draft_id": None,
            }
        ],
    )
    insert(
        session,
        "rdm_parents_community",
        [
            {"community_id": row["community_id"], "record_id": ids[source.parent["id"]], "request_id": None}
            for row in source.communities
        ],
    )
    for table, entries in (("rdm_records_files", source.files), ("rdm_records_media_files", source.media)):
        insert(
            session,
            table,
            [
                {
                    **entry,
                    "id": uuid.uuid4(),
                    "record_id": record_id,
                    "object_version_id": objects[entry["object_version_id"]],
                    "json": as_json(entry["json"]),
                    "version_id": 1,
                    "created": now,
                    "updated": now,
                }
                for entry in entries
            ],
        )
    insert(
        session,
        "checks_run",
        [
            {
                **run,
                "id": uuid.uuid4(),
                "record_id": record_id,
                "state": None if run["state"] is None else as_json(run["state"]),
                "result": None if run["result"] is None else as_json(run["result"]),
            }
            for run in source.checks
        ],
    )
    return record_id


def sources_and_count(session):
    """The imported benchmark models (the sources) and how many models are published now."""
    published = rows(
        session,
        "SELECT r.* FROM rdm_records_metadata r WHERE r.deletion_status = 'P' AND r.json IS NOT NULL",
    )
    imported = [
        record
        for record in published
        if SOURCE_TAG in json.dumps(record["json"].get("metadata", {}).get("subjects", []))
        and CLONE_TAG not in json.dumps(record["json"]["metadata"].get("subjects", []))
    ]
    return imported, len(published)


def index(indexer, record_ids):
    """Queue records for bulk indexing and consume the queue here (the instance's worker may help)."""
    indexer.bulk_index(record_ids)
    while indexer.process_bulk_queue(search_bulk_kwargs={"raise_on_error": False})[0]:
        pass


def indexed_count(record_cls, wait=120):
    """Published records in the search index, once it stops growing (at most ``wait`` seconds)."""
    from invenio_search import current_search_client
    from invenio_search.utils import build_alias_name

    alias = build_alias_name(record_cls.index._name)
    last, deadline = -1, time.monotonic() + wait
    while True:
        current_search_client.indices.refresh(index=alias)
        count = current_search_client.count(index=alias)["count"]
        if count == last or time.monotonic() > deadline:
            return count
        last = count
        time.sleep(2)


def main():
    """Copy imported models until ``--total`` are published, index the copies, report the time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, required=True, help="published models wanted in all")
    args = parser.parse_args()

    from invenio_app.factory import create_app
    from invenio_db import db
    from invenio_rdm_records.proxies import current_rdm_records_service

    app = create_app()
    with app.app_context():
        session = db.session
        imported, published = sources_and_count(session)
        if not imported:
            sys.exit("No imported benchmark models to copy: run benchmarks/bulk_load.py first.")
        wanted = args.total - published
        print(f"{published} published ({len(imported)} imported); copying {max(0, wanted)}", flush=True)
        started = time.monotonic()
        sources = {}
        indexer = current_rdm_records_service.indexer
        for first in range(0, max(0, wanted), BATCH):
            made = []
            for number in range(first, min(wanted, first + BATCH)):
                record = imported[number % len(imported)]
                if record["id"] not in sources:
                    sources[record["id"]] = Source(session, record)
                made.append(clone(session, sources[record["id"]], published + number))
            session.commit()
            index(indexer, made)
            elapsed = time.monotonic() - started
            print(
                f"  {first + len(made)}/{wanted} copied and queued for indexing, {elapsed:.0f} s", flush=True
            )
        indexed = indexed_count(current_rdm_records_service.record_cls)
        print(
            f"done in {time.monotonic() - started:.0f} s: {indexed} of {args.total} published models indexed"
        )
        if indexed < args.total:
            sys.exit(
                f"{args.total - indexed} models are in the database but not in the search index (see the "
                "errors above); index everything again with 'invenio rdm rebuild-all-indices'."
            )


if __name__ == "__main__":
    main()
