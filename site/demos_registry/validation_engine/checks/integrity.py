"""Integrity: size limits, safe unpacking and parsing, format detection, declared checksums."""

from __future__ import annotations

from collections import Counter

from .. import formats
from ..context import Context
from ..report import CheckResult, CheckStatus

_HASH_LENGTH = 64


def check_integrity(context: Context) -> CheckResult:
    """Fail a submission whose files cannot be read safely or that holds no pyhf or HS3 model."""
    submission = context.submission
    entries = submission.files + [doc for doc in submission.documents if doc.archive is not None]
    problems = [f"{entry.name}: {problem}" for entry in entries for problem in entry.problems]
    notes = [f"{entry.name}: {note}" for entry in entries for note in entry.notes]
    declared = context.metadata.format
    model_formats = {doc.format for doc in submission.documents if doc.format in formats.MODEL_FORMATS}
    if declared and model_formats and not any(_same_format(declared, found) for found in model_formats):
        problems.append(f"metadata declares format {declared!r}, the files are {sorted(model_formats)}")
    analysable = [
        doc for doc in submission.documents if doc.format in formats.MODEL_FORMATS | formats.PATCH_FORMATS
    ]
    evaluable = [doc for doc in submission.documents if doc.format in formats.EVALUABLE_FORMATS]
    details = {
        "documents_by_format": dict(Counter(doc.format for doc in submission.documents)),
        "problems": problems,
        "notes": notes,
    }
    if not submission.files:
        return CheckResult("integrity", CheckStatus.FAILED, "no files were submitted", details)
    if problems:
        return CheckResult("integrity", CheckStatus.FAILED, "; ".join(problems[:5]), details)
    roots = [doc.name for doc in submission.documents if doc.format == formats.ROOT_FILE]
    if roots:
        return CheckResult(
            "integrity",
            CheckStatus.WARNING,
            f"ROOT file(s) {', '.join(roots)} recognised but not evaluated: the Python engines read "
            "pyhf JSON and HS3 JSON only; a curator must review, or submit an HS3 export",
            details,
        )
    if not analysable:
        return CheckResult(
            "integrity", CheckStatus.FAILED, "no pyhf or HS3 model found in the submission", details
        )
    if not evaluable:
        return CheckResult(
            "integrity",
            CheckStatus.FAILED,
            "no evaluable model: "
            + ", ".join(f"{doc.name} is a {doc.format}" for doc in analysable[:5])
            + "; a patch needs the workspace it applies to, a model specification has no observed data",
            details,
        )
    return CheckResult(
        "integrity",
        CheckStatus.PASSED,
        f"{len(submission.documents)} document(s) read within limits: "
        + ", ".join(sorted({doc.format for doc in analysable})),
        details,
    )


def _same_format(declared: str, found: str) -> bool:
    declared = declared.lower()
    return (
        found.startswith(declared)
        or declared.startswith(found)
        or (declared in ("pyhf", "json") and found.startswith("pyhf"))
    )


def check_checksums(context: Context) -> CheckResult:
    """Compare the SHA-256 digests declared in the metadata with those of the submitted files."""
    declared = context.metadata.checksums
    if not declared:
        return CheckResult(
            "checksums",
            CheckStatus.SKIPPED,
            "no checksums declared in the metadata; computed SHA-256 values are in the file list",
        )
    everything = context.submission.files + context.submission.documents
    results, mismatches = [], []
    for name, expected in sorted(declared.items()):
        entry = next((candidate for candidate in everything if candidate.matches(name)), None)
        if entry is None:
            mismatches.append(f"{name}: declared but not submitted")
            results.append({"file": name, "expected": expected, "actual": None, "ok": False})
            continue
        ok = len(expected) == _HASH_LENGTH and entry.sha256 == expected
        results.append({"file": entry.name, "expected": expected, "actual": entry.sha256, "ok": ok})
        if not ok:
            mismatches.append(f"{entry.name}: SHA-256 {entry.sha256} differs from the declared {expected}")
    unchecked = [
        entry.name for entry in context.submission.files if not any(entry.matches(n) for n in declared)
    ]
    details = {"files": results, "without_declared_checksum": unchecked}
    if mismatches:
        return CheckResult("checksums", CheckStatus.FAILED, "; ".join(mismatches[:5]), details)
    if unchecked:
        return CheckResult(
            "checksums", CheckStatus.WARNING, f"no checksum declared for {', '.join(unchecked)}", details
        )
    return CheckResult("checksums", CheckStatus.PASSED, f"{len(results)} SHA-256 checksum(s) match", details)
