"""Reading a submission: files, archive members, checksums, formats and parsed JSON, all bounded."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from . import formats
from .limits import ResourceLimits
from .safejson import UnsafeJSONError, parse_json

_CHUNK = 1024 * 1024


class LimitExceeded(Exception):
    """An archive unpacks to more than the limits allow (for example a zip bomb)."""


@dataclass
class ModelFile:
    """One analysable document: a submitted file or a member of a submitted archive."""

    name: str
    size: int
    sha256: str
    format: str
    document: Any = None
    archive: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def directory(self) -> str:
        """Where the file sits in the submission: a patch's base is looked for there first."""
        return os.path.dirname(self.name)

    def matches(self, reference: str) -> bool:
        """True if a name from the metadata (a path, a member path or a basename) means this file."""
        reference = reference.strip("/")
        return self.name == reference or self.name.endswith(("/" + reference, "!" + reference))

    def summary(self) -> dict[str, Any]:
        """Compact: archives may hold hundreds of members, and reports are stored with records."""
        entry = {"path": self.name, "size": self.size, "sha256": self.sha256, "format": self.format}
        if self.archive is not None:
            entry["archive"] = self.archive
        if self.problems:
            entry["problems"] = self.problems
        if self.notes:
            entry["notes"] = self.notes
        return entry


@dataclass
class Submission:
    """Submitted files (what checksums refer to) and every document found in them."""

    files: list[ModelFile] = field(default_factory=list)
    documents: list[ModelFile] = field(default_factory=list)

    def of_format(self, *names: str) -> list[ModelFile]:
        """The documents of the given formats, in submission order."""
        return [document for document in self.documents if document.format in names]

    def find(self, reference: str) -> ModelFile | None:
        """The document a name from the metadata means, if any."""
        return next((document for document in self.documents if document.matches(reference)), None)


def load_submission(paths: list[str], limits: ResourceLimits, names: list[str] | None = None) -> Submission:
    """Read, unpack and classify every path within the limits; problems are recorded, not raised.

    `names` are how the files are reported (default: `display_names(paths)`), for a caller that
    staged them under other paths (the warm sandbox).
    """
    submission = Submission()
    for path, display_name in zip(paths, names or display_names(paths), strict=True):
        submission.files.append(_load_path(path, display_name, limits, submission))
    return submission


def display_names(paths: list[str]) -> list[str]:
    """Basenames, unless two files share one; then the paths as given."""
    basenames = [os.path.basename(path.rstrip("/")) for path in paths]
    if len(set(basenames)) == len(basenames):
        return basenames
    return [os.path.normpath(path) for path in paths]


def _load_path(path: str, name: str, limits: ResourceLimits, submission: Submission) -> ModelFile:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        entry = ModelFile(name=name, size=0, sha256="", format=formats.UNKNOWN)
        entry.problems.append(f"cannot read file: {exc.strerror}")
        return entry
    if size > limits.max_file_bytes:
        entry = ModelFile(name=name, size=size, sha256=_sha256_of_path(path), format=formats.UNKNOWN)
        entry.problems.append(f"file is {size} bytes, above the limit of {limits.max_file_bytes}")
        return entry
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        entry = ModelFile(name=name, size=size, sha256="", format=formats.UNKNOWN)
        entry.problems.append(f"cannot read file: {exc.strerror}")
        return entry
    entry = _describe(name, raw, limits, archive=None)
    if entry.format == formats.ARCHIVE:
        try:
            for member in _archive_members(raw, name, limits):
                submission.documents.append(member)
        except LimitExceeded as exc:
            entry.problems.append(f"archive rejected: {exc}")
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, lzma.LZMAError) as exc:
            entry.problems.append(f"archive cannot be read: {exc}")
    else:
        submission.documents.append(entry)
    return entry


def _sha256_of_path(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(name: str, raw: bytes, limits: ResourceLimits, archive: str | None) -> ModelFile:
    entry = ModelFile(
        name=name,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        format=formats.UNKNOWN,
        archive=archive,
    )
    container = formats.detect_container(raw[:512])
    if container is not None:
        entry.format = container
        if container == formats.ROOT_FILE:
            entry.notes.append(
                "ROOT file recognised; the Python engines (pyhf, pyhs3) cannot evaluate it, "
                "export it to HS3 JSON to have it validated"
            )
        return entry
    if not formats.looks_like_json(raw[:64]):
        if name.lower().endswith(".json") and not _is_macos_metadata(name):
            entry.problems.append("named .json but not a JSON object or array")
        else:
            entry.notes.append("not JSON and not a known binary model format; not evaluated")
        return entry
    try:
        parsed = parse_json(raw, limits.max_file_bytes, limits.max_json_depth)
    except UnsafeJSONError as exc:
        entry.problems.append(f"JSON rejected: {exc}")
        return entry
    entry.document = parsed.document
    entry.format = formats.classify_json(parsed.document)
    entry.problems += parsed.problems()
    bins = formats.declared_bins(parsed.document, entry.format)
    if bins > limits.max_bins:
        entry.problems.append(f"declares {bins} bins, above the limit of {limits.max_bins}")
    if entry.format == formats.UNKNOWN_JSON:
        entry.notes.append("JSON document of no known model format; not evaluated")
    return entry


def _is_macos_metadata(name: str) -> bool:
    """Archives made on macOS carry a binary `._name` beside each file (and `__MACOSX/` copies)."""
    return "__MACOSX/" in name or os.path.basename(name).startswith("._")


def _archive_members(raw: bytes, archive_name: str, limits: ResourceLimits) -> Iterator[ModelFile]:
    """Yield the regular files of a tar/zip/gzip archive, counting unpacked bytes as we go."""
    budget = _UnpackBudget(limits)
    if raw.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                budget.count_member()
                with archive.open(info) as stream:
                    data = budget.read(stream)
                yield _describe(f"{archive_name}!{info.filename}", data, limits, archive_name)
        return
    decompressed = _decompressing_stream(raw)
    archive = _open_tar_stream(decompressed)
    if archive is None:
        data = budget.read(_decompressing_stream(raw))
        member_name = archive_name.removesuffix(".gz").removesuffix(".bz2").removesuffix(".xz")
        yield _describe(f"{archive_name}!{os.path.basename(member_name)}", data, limits, archive_name)
        return
    with archive:
        for member in archive:
            if not member.isfile():
                continue
            budget.count_member()
            budget.expect(member.size)
            stream = archive.extractfile(member)
            data = budget.read(stream) if stream is not None else b""
            yield _describe(f"{archive_name}!{member.name}", data, limits, archive_name)
    # A stream of zeros is a valid empty tar: what follows its end marker still counts as unpacked.
    budget.drain(decompressed)
    if not budget.members:
        raise LimitExceeded("the archive holds no files")


def _open_tar_stream(stream: BinaryIO) -> tarfile.TarFile | None:
    """The tar archive in a decompressed stream, read as a stream; None if it is no tar.

    A single compressed file (`model.json.gz`) is not a tar and is then read as one member.
    """
    try:
        return tarfile.open(fileobj=stream, mode="r|")
    except tarfile.ReadError:
        return None


def _decompressing_stream(raw: bytes) -> BinaryIO:
    if raw.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=io.BytesIO(raw))
    if raw.startswith(b"BZh"):
        return bz2.BZ2File(io.BytesIO(raw))
    if raw.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(io.BytesIO(raw))
    return io.BytesIO(raw)


class _UnpackBudget:
    def __init__(self, limits: ResourceLimits):
        self.limits = limits
        self.members = 0
        self.unpacked = 0

    def count_member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_archive_members:
            raise LimitExceeded(f"more than {self.limits.max_archive_members} members")

    def expect(self, size: int) -> None:
        if size > self.limits.max_file_bytes or self.unpacked + size > self.limits.max_unpacked_bytes:
            raise LimitExceeded(
                f"a member of {size} bytes would exceed the unpacked size limit "
                f"({self.limits.max_file_bytes} per file, {self.limits.max_unpacked_bytes} in total)"
            )

    def read(self, stream: BinaryIO, keep: bool = True) -> bytes:
        chunks = []
        member_bytes = 0
        while chunk := stream.read(_CHUNK):
            member_bytes += len(chunk)
            self.unpacked += len(chunk)
            if member_bytes > self.limits.max_file_bytes or self.unpacked > self.limits.max_unpacked_bytes:
                raise LimitExceeded(
                    f"unpacks to more than the limit ({self.limits.max_file_bytes} bytes per file, "
                    f"{self.limits.max_unpacked_bytes} in total)"
                )
            if keep:
                chunks.append(chunk)
        return b"".join(chunks)

    def drain(self, stream: BinaryIO) -> None:
        """Count, without keeping, what is left in a decompressed stream."""
        self.read(stream, keep=False)
