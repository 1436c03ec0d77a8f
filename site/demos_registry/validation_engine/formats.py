"""Format detection from magic bytes and document shape."""

from __future__ import annotations

from typing import Any

PYHF_WORKSPACE = "pyhf-workspace"
PYHF_MODEL_SPEC = "pyhf-model-spec"
PYHF_PATCHSET = "pyhf-patchset"
JSON_PATCH = "json-patch"
HS3 = "hs3"
ROOT_FILE = "root"
ARCHIVE = "archive"
UNKNOWN_JSON = "unknown-json"
UNKNOWN = "unknown"

MODEL_FORMATS = {PYHF_WORKSPACE, PYHF_MODEL_SPEC, HS3}
EVALUABLE_FORMATS = {PYHF_WORKSPACE, HS3}
"""Documents that hold a likelihood with its data: what reference points can be evaluated on."""
PATCH_FORMATS = {PYHF_PATCHSET, JSON_PATCH}

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_ROOT_MAGIC = b"root"
_BZIP2_MAGIC = b"BZh"
_XZ_MAGIC = b"\xfd7zXZ\x00"


def detect_container(head: bytes) -> str | None:
    """Return ARCHIVE or ROOT_FILE from the first bytes, or None for (possibly) JSON text."""
    if head.startswith(_ROOT_MAGIC):
        return ROOT_FILE
    if head.startswith((_GZIP_MAGIC, _ZIP_MAGIC, _BZIP2_MAGIC, _XZ_MAGIC)):
        return ARCHIVE
    if len(head) > 262 and head[257:262] == b"ustar":
        return ARCHIVE
    return None


def looks_like_json(head: bytes) -> bool:
    """True if the first byte after a BOM and whitespace opens a JSON object or array."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def classify_json(document: Any) -> str:
    """Name the model format of a parsed JSON document from its top-level keys."""
    if isinstance(document, list):
        is_patch = document and all(isinstance(op, dict) and "op" in op and "path" in op for op in document)
        return JSON_PATCH if is_patch else UNKNOWN_JSON
    if not isinstance(document, dict):
        return UNKNOWN_JSON
    keys = set(document)
    if "distributions" in keys and ("metadata" in keys or "likelihoods" in keys):
        return HS3
    if "patches" in keys and "metadata" in keys:
        return PYHF_PATCHSET
    if "channels" in keys and ("observations" in keys or "measurements" in keys):
        return PYHF_WORKSPACE
    if "channels" in keys:
        return PYHF_MODEL_SPEC
    return UNKNOWN_JSON


def count_pyhf_bins(spec: dict[str, Any]) -> int:
    """Sample bins of a pyhf spec, skipping malformed entries (the schema check reports those)."""
    return sum(
        len(sample.get("data") or [])
        for channel in spec.get("channels") or []
        if isinstance(channel, dict)
        for sample in channel.get("samples") or []
        if isinstance(sample, dict) and isinstance(sample.get("data"), list)
    )


def count_pyhf_modifiers(spec: dict[str, Any]) -> int:
    """Modifier entries of all samples: what building a pyhs3 graph of a translation costs."""
    return sum(
        len(sample.get("modifiers") or [])
        for channel in spec.get("channels") or []
        for sample in channel.get("samples") or []
    )


def count_hs3_bins(document: dict[str, Any]) -> int:
    """HS3 axes declare bin counts that engines allocate before reading any contents."""
    bins = 0
    for entry in (document.get("distributions") or []) + (document.get("data") or []):
        for axis in (entry.get("axes") or []) if isinstance(entry, dict) else []:
            if isinstance(axis, dict) and isinstance(axis.get("nbins"), (int, float)):
                bins += int(axis["nbins"])
    return bins


def declared_bins(document: Any, kind: str) -> int:
    """Bins a model document asks engines to allocate, checked before any engine sees it."""
    try:
        if kind in (PYHF_WORKSPACE, PYHF_MODEL_SPEC):
            return count_pyhf_bins(document)
        if kind == HS3:
            return count_hs3_bins(document)
    except (TypeError, AttributeError):
        return 0
    return 0
