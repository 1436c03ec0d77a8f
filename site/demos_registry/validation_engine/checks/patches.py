"""Patches: every JSON patch and patchset entry applies to its workspace, and digests match.

Every patch is applied and its result checked for shape errors; the full pyhf build (schema plus
model) runs on every patch of small submissions and on an evenly spread sample of large ones, so
that an archive with hundreds of signal points stays within seconds.
"""

from __future__ import annotations

from typing import Any

from .. import formats
from ..context import Context, ModelBuildError, PatchCandidate
from ..patching import PatchConflict, apply_patch
from ..report import CheckResult, CheckStatus
from .schema import structural_problems

FULL_BUILDS_PER_BASE = 1
FULL_BUILD_ALL_UP_TO = 20


def check_patches(context: Context) -> CheckResult:
    """Every patch must apply to its workspace and give a valid one; patchset digests must match."""
    candidates = context.patch_candidates()
    if not candidates:
        return CheckResult("patches", CheckStatus.SKIPPED, "no patch or patchset in the submission")
    failures: list[dict[str, str]] = []
    unverifiable: list[str] = []
    digests = _verify_digests(context, failures, unverifiable)
    fully_built = _choose_full_builds(candidates, _primary_patch_label(context))
    for number, candidate in enumerate(candidates):
        if candidate.base is None:
            unverifiable.append(candidate.label)
            continue
        if number % 100 == 0:
            context.progress(f"patches: {number}/{len(candidates)}")
        problem = _apply_and_inspect(context, candidate, id(candidate) in fully_built)
        if problem:
            failures.append({"patch": candidate.label, "base": candidate.base.name, "reason": problem})
    details = {
        "patches": len(candidates),
        "fully_built": len(fully_built),
        "digests": digests,
        "failures": failures,
        "without_base": unverifiable,
    }
    if failures:
        first = failures[0]
        return CheckResult(
            "patches",
            CheckStatus.FAILED,
            f"{len(failures)} failure(s); first: {first['patch']}: {first['reason']}",
            details,
        )
    if unverifiable:
        return CheckResult(
            "patches",
            CheckStatus.WARNING,
            f"{len(unverifiable)} patch(es) without a workspace to apply them to (submit the "
            f"background-only workspace with them): {', '.join(unverifiable[:3])}",
            details,
        )
    return CheckResult(
        "patches",
        CheckStatus.PASSED,
        f"all {len(candidates)} patch(es) apply; {len(fully_built)} built as full pyhf models",
        details,
    )


def _primary_patch_label(context: Context) -> str | None:
    try:
        primary = context.primary()
    except ModelBuildError:
        return None
    return primary.patch_label if primary else None


def _choose_full_builds(candidates: list[PatchCandidate], primary_patch: str | None) -> set[int]:
    """The patches built as full pyhf models.

    All patches of small submissions; else per workspace the selected patch (its model is
    needed anyway for the reference points) or, failing that, the first one.
    """
    if len(candidates) <= FULL_BUILD_ALL_UP_TO:
        return {id(candidate) for candidate in candidates}
    by_base: dict[int, list[PatchCandidate]] = {}
    for candidate in candidates:
        by_base.setdefault(id(candidate.base), []).append(candidate)
    chosen = set()
    for group in by_base.values():
        preferred = [candidate for candidate in group if candidate.label == primary_patch]
        chosen.update(id(candidate) for candidate in (preferred or group)[:FULL_BUILDS_PER_BASE])
    return chosen


def _apply_and_inspect(context: Context, candidate: PatchCandidate, full_build: bool) -> str | None:
    try:
        patched = apply_patch(candidate.base.document, candidate.operations)
    except PatchConflict as exc:
        return f"does not apply: {exc}"
    try:
        problems = [
            f"{path}: {message}"
            for path, message in structural_problems(patched, unchanged_from=candidate.base.document)
        ]
    except (AttributeError, TypeError) as exc:
        return f"the patched workspace is malformed: {exc}"
    if problems:
        return "; ".join(problems[:3])
    if full_build:
        return _full_build_problem(context, f"{candidate.base.name} + {candidate.label}", patched)
    return None


def _full_build_problem(context: Context, label: str, patched: dict[str, Any]) -> str | None:
    import pyhf

    try:
        context.validate_workspace_schema(label, patched)
        context.pyhf_model(label, patched, with_poi=True)
    except pyhf.exceptions.InvalidSpecification as exc:
        return f"the patched workspace is invalid at {exc.path or '$'}: {exc.parent.message}"
    except Exception as exc:
        return f"pyhf rejects the patched workspace: {type(exc).__name__}: {exc}"
    return None


def _verify_digests(
    context: Context, failures: list[dict[str, str]], unverifiable: list[str]
) -> dict[str, str]:
    """Pyhf patchsets record the digest of the workspace they were made for."""
    import pyhf

    results = {}
    for container in context.submission.of_format(formats.PYHF_PATCHSET):
        if container.problems:
            continue
        base = next((c.base for c in context.patch_candidates() if c.container is container), None)
        if base is None:
            continue
        try:
            patchset = pyhf.PatchSet(container.document)
            patchset.verify(pyhf.Workspace(base.document))
            results[container.name] = f"matches {base.name}"
        except pyhf.exceptions.PatchSetVerificationError as exc:
            results[container.name] = "mismatch"
            failures.append({"patch": container.name, "base": base.name, "reason": f"digest mismatch: {exc}"})
        except Exception as exc:
            results[container.name] = f"not verifiable: {type(exc).__name__}"
            unverifiable.append(container.name)
    return results
