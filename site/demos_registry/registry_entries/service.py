"""Import and export of registry entries through InvenioRDM's own services.

An import goes through the registry's one write path (submissions.service):
a draft with the entry's files (their SHA-256 checked against the entry),
published and included in the community of its domain. It is idempotent by
``model_id``: an entry whose model id and version are already published is
skipped; a new version of a known model becomes a new version of its record.
Any failure leaves nothing half-written.
"""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from invenio_access.permissions import system_identity
from invenio_rdm_records.proxies import current_rdm_records_service
from marshmallow import ValidationError

from ..submissions.entry import record_data_of_entry
from ..submissions.service import (
    ValidationStillRunning,
    create_draft,
    latest_published,
    publish_when_judged,
)
from ..submissions.uploads import from_paths, remove
from .entries import EntryError, registry_entry


@dataclass
class ImportResult:
    """What happened to one entry."""

    source: str
    action: str  # "created", "new version", "skipped"
    record_id: str | None = None


def entry_files(entry, folder):
    """The entry's files (name → path) next to it; their declared SHA-256 is verified on import."""
    declared = entry.get("files") or (
        [{"file": entry["file_location"]}] if entry.get("file_location") else []
    )
    if not declared:
        raise EntryError(
            "files: the entry names no file; give file_location or files[] (names next to the entry)"
        )
    files = {}
    for item in declared:
        path = (folder / item["file"]).resolve()
        if folder.resolve() not in path.parents:
            raise EntryError(f"files: {item['file']!r} points outside the entry's folder")
        if not path.is_file():
            raise EntryError(f"files: {item['file']!r} not found next to the entry")
        files[Path(item["file"]).name] = path
    return files


def import_entry(entry, folder, owner_identity=system_identity):
    """Create and publish the record of one entry (or skip it), validating it now; returns ImportResult."""
    result = start_import(entry, folder, owner_identity)
    if result.action != "skipped":
        finish_import(result, owner_identity, current_app.config["DEMOS_MODELS_API_PUBLISH_WAIT"])
    return result


def start_import(entry, folder, owner_identity=system_identity):
    """Create the draft of one entry with its files, its validation queued; or skip the entry.

    Through the same write path as ``POST /api/models`` (submissions.service): the
    entry's declared checksums are verified, a known model id becomes a new version.
    The result names the draft, which ``finish_import`` publishes once it is judged.
    """
    files = entry_files(entry, folder)
    work = tempfile.mkdtemp(prefix="demos-import-")
    try:
        uploads = from_paths(list(files.values()), work)
        data, _ = record_data_of_entry(entry, uploads)
        existing = latest_published(data["custom_fields"]["demos:model_id"])
        version = data["custom_fields"]["demos:model_version"]
        if existing and existing["custom_fields"].get("demos:model_version") == version:
            return ImportResult(str(folder), "skipped", existing["id"])
        try:
            draft_id, _ = create_draft(owner_identity, data, uploads)
        except ValidationError as error:
            raise EntryError(error.messages) from error
    finally:
        remove(work)
    return ImportResult(str(folder), "new version" if existing else "created", draft_id)


def finish_import(result, owner_identity, wait):
    """Publish the draft of a started import once its verdict is in (at most ``wait`` seconds); the record."""
    try:
        record, _ = publish_when_judged(owner_identity, result.record_id, wait)
        return record
    except ValidationError as error:
        raise EntryError(error.messages) from error
    except ValidationStillRunning as error:
        raise EntryError(str(error)) from error


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
        raise EntryError(f"{path}: not valid JSON ({error})") from None


def export_entry(record_id):
    """The registry-entry JSON of a published record."""
    record = current_rdm_records_service.read(system_identity, record_id).to_dict()
    return registry_entry(record, current_app.config["SITE_UI_URL"])
