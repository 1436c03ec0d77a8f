"""The files of a submission, spooled to a work folder with their SHA-256.

A model arrives as several files (a background-only workspace and its patches,
an archive, a reference-points file): each is written once to disk while its
digest is computed, so that declared checksums can be verified and formats
detected before anything is stored in the registry.
"""

import hashlib
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from marshmallow import ValidationError

from ..custom_fields.validators import file_name
from ..validation_engine import formats
from ..validation_engine.inputs import load_submission
from ..validation_engine.limits import ResourceLimits
from ..validation_runs.api import validation_limits

CHUNK_SIZE = 1024 * 1024


@dataclass
class Upload:
    """One submitted file: its key in the record, where it is spooled, its digest and size."""

    key: str
    path: Path
    sha256: str
    size: int


def upload_key(name, field="file"):
    """The record key of an uploaded file: its name as sent, which must be a plain file name."""
    try:
        file_name(name)
    except ValidationError as error:
        raise ValidationError({field: [f"{error.messages[0]} Got {(name or '')[:80]!r}."]}) from error
    return name


def spool(named_streams, folder):
    """Write ``(name, stream)`` pairs into ``folder``; returns the uploads, names checked."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    keys = [upload_key(name) for name, _ in named_streams]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValidationError({"file": [f"Duplicate file names: {', '.join(duplicates)}."]})
    uploads = []
    for key, (_, stream) in zip(keys, named_streams, strict=True):
        path = folder / key
        digest = hashlib.sha256()
        size = 0
        with open(path, "wb") as sink:
            while chunk := stream.read(CHUNK_SIZE):
                digest.update(chunk)
                sink.write(chunk)
                size += len(chunk)
        uploads.append(Upload(key, path, digest.hexdigest(), size))
    return uploads


def from_paths(paths, folder):
    """Uploads of files on disk (an import), copied into the work folder."""
    with ExitStack() as stack:
        return spool([(Path(path).name, stack.enter_context(open(path, "rb"))) for path in paths], folder)


def find_upload(uploads, reference):
    """The upload a name from the metadata means (a path or a URL ending in its base name), or None."""
    base = str(reference).rstrip("/").rsplit("/", 1)[-1]
    return next((upload for upload in uploads if upload.key == base), None)


INFERRED = {
    formats.HS3: ("pyhs3", "hs3-json"),
    formats.PYHF_WORKSPACE: ("pyhf", "pyhf-json"),
    formats.PYHF_MODEL_SPEC: ("pyhf", "pyhf-json"),
    formats.ROOT_FILE: ("roofit", "root-workspace"),
}
"""Detected document format → (engine, format) vocabulary ids, in order of preference."""


def infer_engine_and_format(uploads):
    """(engine, format) of the model among the uploads, as the validation engine reads them, or (None, None).

    Archives are opened within the configured validation limits, as the engine itself does.
    """
    limits = ResourceLimits.from_dict(validation_limits())
    submission = load_submission([str(upload.path) for upload in uploads], limits)
    found = {document.format for document in submission.documents}
    for detected, inferred in INFERRED.items():
        if detected in found:
            return inferred
    return None, None


def remove(folder):
    """Forget the spooled files."""
    shutil.rmtree(folder, ignore_errors=True)
