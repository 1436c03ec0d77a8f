"""Import and export of registry entries through InvenioRDM's own services.

An import creates a draft, uploads the entry's files (after checking their
SHA-256 against the entry), publishes it and includes it in the community of
its domain. It is idempotent by ``model_id``: an entry whose model id and version
are already published is skipped; a new version of a known model becomes a new
version of its record. Any failure deletes the draft it made, so nothing is left
half-written.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from invenio_access.permissions import system_identity
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_rdm_records.proxies import current_rdm_records, current_rdm_records_service
from invenio_search.engine import dsl
from marshmallow import ValidationError

from .entries import EntryError, record_data, registry_entry

COMMUNITY_SLUG = "demos-{domain}"


@dataclass
class ImportResult:
    """What happened to one entry."""

    source: str
    action: str  # "created", "new version", "skipped"
    record_id: str | None = None


def sha256_of(path):
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def entry_files(entry, folder):
    """The entry's files (name → path), each checked against its declared SHA-256."""
    declared = entry.get("files") or [
        {"file": entry["file_location"], "sha256": (entry.get("checksum") or "").removeprefix("sha256:")}
    ]
    files = {}
    for item in declared:
        path = (folder / item["file"]).resolve()
        if folder.resolve() not in path.parents:
            raise EntryError(f"files: {item['file']!r} points outside the entry's folder")
        if not path.is_file():
            raise EntryError(f"files: {item['file']!r} not found next to the entry")
        if item.get("sha256") and sha256_of(path) != item["sha256"].lower():
            raise EntryError(f"files: SHA-256 of {item['file']!r} does not match the entry")
        files[Path(item["file"]).name] = path
    return files


def published_by_model_id(model_id):
    """The latest published record of a model, or None."""
    search = current_rdm_records_service.search(
        system_identity,
        extra_filter=dsl.Q("term", **{"custom_fields.demos:model_id": model_id}),
        params={"size": 1, "sort": "newest"},
    )
    hits = list(search.hits)
    return hits[0] if hits else None


def upload_files(draft_id, files):
    """Upload files into a draft through the draft files service."""
    service = current_rdm_records_service.draft_files
    service.init_files(system_identity, draft_id, [{"key": key} for key in files])
    for key, path in files.items():
        with open(path, "rb") as stream:
            service.set_file_content(system_identity, draft_id, key, stream)
        service.commit_file(system_identity, draft_id, key)


def include_in_domain_community(record_id, domain):
    """Add a published record to its domain's community (directly, as the system)."""
    slug = COMMUNITY_SLUG.format(domain=domain)
    community = current_communities.service.read(system_identity, slug)
    current_rdm_records.record_communities_service.add(
        system_identity, record_id, {"communities": [{"id": str(community.id)}]}
    )


def import_entry(entry, folder, owner_identity=system_identity):
    """Create and publish the record of one entry (or skip it); returns ImportResult."""
    data = record_data(entry)
    files = entry_files(entry, folder)
    existing = published_by_model_id(entry["model_id"])
    version = data["custom_fields"]["demos:model_version"]
    if existing and existing["custom_fields"].get("demos:model_version") == version:
        return ImportResult(str(folder), "skipped", existing["id"])

    service = current_rdm_records_service
    if existing:
        draft = service.new_version(owner_identity, existing["id"])
        draft = service.update_draft(owner_identity, draft.id, data)
        action = "new version"
    else:
        draft = service.create(owner_identity, data)
        action = "created"
    try:
        errors = [e for e in draft.errors or [] if not e["field"].startswith("files")]
        if errors:
            raise EntryError(f"invalid record data: {errors}")
        upload_files(draft.id, files)
        record = service.publish(owner_identity, draft.id)
    except Exception as error:
        db.session.rollback()
        service.delete_draft(system_identity, draft.id)
        if isinstance(error, ValidationError):
            raise EntryError(f"invalid record data: {error.messages}") from error
        raise
    include_in_domain_community(record.id, data["custom_fields"]["demos:domain"]["id"])
    return ImportResult(str(folder), action, record.id)


def entry_paths(path):
    """entry.json files under a folder, or the single given file."""
    path = Path(path)
    if path.is_dir():
        return sorted(path.rglob("entry.json")) + sorted(
            p for p in path.glob("*.json") if p.name != "entry.json"
        )
    return [path]


def load_entry(path):
    """Read an entry file with a clear error for bad JSON."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise EntryError(f"{path}: not valid JSON ({error})")


def export_entry(record_id):
    """The registry-entry JSON of a published record."""
    record = current_rdm_records_service.read(system_identity, record_id).to_dict()
    return registry_entry(record, current_app.config["SITE_UI_URL"])
