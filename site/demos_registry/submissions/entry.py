"""The DEMOS seed's registry entry, as physicists send it, checked against the uploaded files.

The seed's example entry is accepted as printed: a placeholder ``model_id`` gets
a real one, ``domain`` may be the seed's spelling (aliases are vocabulary data),
``engine`` and ``format`` are read from the files when absent, ``reference_points``
may name an uploaded JSON file, and declared checksums are verified, never
replaced. Every problem is reported at once, by field (see ``EntryErrors``).

What the registry does with the seed's other fields: ``file_location`` that names
an uploaded file is that file; a URL (``s3://...``) or a name of no upload is kept
as the model's declared source (``source_location``) while the registry serves
its own copy (an upload with the URL's base name is the model file);
``submission_date`` is kept as given (the record's publication date);
``last_updated`` and ``validation_status`` are the registry's to set and are
ignored, with a note in the answer.
"""

import json
import re
import uuid
from datetime import date

from ..registry_entries.entries import EntryError, EntryErrors, record_data
from .uploads import find_upload, infer_engine_and_format

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
REFERENCE_POINTS_EXPECTED = "a list of points or the name of an uploaded JSON file holding one"


def valid_uuid(value):
    """True for a UUID in its usual text form."""
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def declared_digest(value):
    """The hex digest of ``sha256:<hex>`` or ``<hex>``, else None (not a SHA-256 digest)."""
    if not isinstance(value, str):
        return None
    digest = value.strip().lower().removeprefix("sha256:")
    return digest if SHA256_HEX.match(digest) else None


def reference_points_from_file(value, uploads, errors):
    """The points held by the uploaded file a reference_points string names."""
    upload = find_upload(uploads, value)
    if upload is None:
        errors.add(
            "reference_points",
            f"{value!r} names no uploaded file; upload it as a 'file' part or give {REFERENCE_POINTS_EXPECTED}",
        )
        return []
    try:
        document = json.loads(upload.path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        errors.add(
            "reference_points",
            f"{upload.key} is not valid JSON ({error}); expected {REFERENCE_POINTS_EXPECTED}",
        )
        return []
    if isinstance(document, dict):
        document = document.get("reference_points")
    if not isinstance(document, list):
        errors.add(
            "reference_points",
            f'{upload.key} holds neither a list of points nor {{"reference_points": [...]}}',
        )
        return []
    return document


def verify_checksums(entry, uploads, errors, notes):
    """Compare every declared SHA-256 with the upload's; a mismatch names the file and both digests."""
    declared = []
    for item in entry.get("files") or []:
        if not isinstance(item, dict) or not item.get("file"):
            errors.add("files", 'expected a list of {"file": name, "sha256": hex digest}')
            continue
        declared.append(("files", item["file"], item.get("sha256")))
    if entry.get("checksum"):
        target = model_file_of(entry, uploads)
        if target is None:
            errors.add(
                "checksum",
                "several files were uploaded: say which one it is the checksum of with file_location, "
                "or declare each file's digest in files[].sha256",
            )
        else:
            declared.append(("checksum", target.key, entry["checksum"]))
    verified = []
    for field, name, value in declared:
        upload = find_upload(uploads, name)
        if upload is None:
            errors.add(field, f"{name!r} is declared but was not uploaded")
            continue
        if value in (None, ""):
            continue
        digest = declared_digest(value)
        if digest is None:
            notes[field] = (
                f"{value!r} is not a SHA-256 digest (64 hex digits, optionally 'sha256:'), so it was not "
                f"verified; the registry computed sha256:{upload.sha256} for {upload.key}"
            )
        elif digest != upload.sha256:
            errors.add(
                field,
                f"SHA-256 of {upload.key} is {upload.sha256}, but the entry declares {digest}: "
                f"the file changed or the declared digest is wrong",
            )
        else:
            verified.append(upload.key)
    return verified


def model_file_of(entry, uploads):
    """The upload a single ``checksum`` refers to: the one file_location names, else the only upload."""
    if entry.get("file_location"):
        named = find_upload(uploads, entry["file_location"])
        if named is not None:
            return named
    return uploads[0] if len(uploads) == 1 else None


def record_data_of_entry(entry, uploads):
    """Record data of a registry entry sent with its files, and notes on what the registry did.

    Raises one EntryError with every problem found.
    """
    if not isinstance(entry, dict):
        raise EntryError("metadata: must be a JSON object")
    errors, notes, inferred = EntryErrors(), {}, {}
    entry = dict(entry)

    if not valid_uuid(entry.get("model_id")):
        assigned = str(uuid.uuid4())
        if entry.get("model_id"):
            notes["model_id"] = f"{entry['model_id']!r} is not a UUID; the registry assigned {assigned}"
        entry["model_id"] = assigned

    submission_date = entry.get("submission_date")
    if submission_date is None:
        entry["submission_date"] = date.today().isoformat()
    elif not isinstance(submission_date, str) or not _is_iso_date(submission_date):
        errors.add("submission_date", f"expected a date as YYYY-MM-DD, got {submission_date!r}")
        entry["submission_date"] = date.today().isoformat()
    for ignored in ("validation_status", "last_updated"):
        if ignored in entry:
            notes[ignored] = "set by the registry; the value sent was ignored"

    points = entry.get("reference_points", [])
    if isinstance(points, str):
        entry["reference_points"] = reference_points_from_file(points, uploads, errors)
    elif not isinstance(points, list):
        errors.add("reference_points", f"expected {REFERENCE_POINTS_EXPECTED}")
        entry["reference_points"] = []

    location = entry.get("file_location")
    if location and not isinstance(location, str):
        errors.add("file_location", "expected the name or URL of the model file")
    elif location and ("://" in location or find_upload(uploads, location) is None):
        entry["source_location"] = location
        notes["file_location"] = (
            f"{location!r} is kept as the model's declared source (source_location); the registry "
            "serves its own copy of the uploaded files (file_location of the answer)"
        )

    verified = verify_checksums(entry, uploads, errors, notes)

    if not entry.get("engine") or not entry.get("format"):
        engine, format_ = infer_engine_and_format(uploads)
        for field, value in (("engine", engine), ("format", format_)):
            if entry.get(field):
                continue
            if value is None:
                errors.add(
                    field, "missing, and no model file was recognised among the uploads to infer it from"
                )
            else:
                entry[field] = inferred[field] = value

    try:
        data = record_data(entry)
    except EntryError as error:
        for field, messages in error.messages.items():
            for message in messages:
                if not (field in ("engine", "format") and field in errors.messages):
                    errors.add(field, message)
        data = None
    errors.raise_any()
    if entry.get("source_location"):
        data["custom_fields"]["demos:source_location"] = entry["source_location"]
    return data, {"inferred": inferred, "verified_checksums": verified, "notes": notes}


def _is_iso_date(value):
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
