"""Rows of evaluated signal points and the check result made of them, free of any engine.

A row is plain JSON (numbers, names, flags), so rows cross process and task boundaries and
are merged by whoever collects the chunks, in the order of the points' indices.
"""

from __future__ import annotations

from typing import Any

from .report import CheckResult, CheckStatus

CHECK_ID = "patch_points"
TEST = {"poi_value": 1.0, "test_stat": "qtilde", "calctype": "asymptotics"}
BAND = ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")
OK, FLAGGED, MISMATCH = "ok", "flagged", "mismatch"
LISTED_PROBLEMS = 20
"""Problem points named in the check's details (all of them are in the table files)."""


def not_evaluated_row(point_index: int, reason: str) -> dict[str, Any]:
    """The row of a point whose evaluation never reported (its sandbox died, or it does not exist)."""
    return {
        "index": point_index,
        "name": None,
        "workspace": None,
        "coordinates": {},
        "twice_nll_init": None,
        "cls_obs": None,
        "cls_exp": None,
        "status": FLAGGED,
        "flags": [reason],
    }


def merge_point_rows(chunks: list[list[dict[str, Any]]], total: int) -> CheckResult:
    """The check's result from the rows of all chunks: independent of how points were chunked.

    A point reported twice (a chunk delivered again) counts once, evaluated rows before rows of a
    sandbox that died; a point no chunk reported is flagged as not evaluated.
    """
    by_index: dict[int, dict[str, Any]] = {}
    for rows in chunks:
        for row in rows:
            known = by_index.get(row["index"])
            if known is None or (known["name"] is None and row["name"] is not None):
                by_index[row["index"]] = row
    rows = [
        by_index.get(point_index) or not_evaluated_row(point_index, "not evaluated: no chunk reported it")
        for point_index in range(total)
    ]
    return point_result(rows)


def point_result(rows: list[dict[str, Any]]) -> CheckResult:
    """Passed if every point is finite and agrees with what was published for it."""
    if not rows:
        return CheckResult(CHECK_ID, CheckStatus.SKIPPED, "no patch with a workspace to apply it to")
    flagged = [row for row in rows if row["status"] == FLAGGED]
    mismatched = [row for row in rows if row["status"] == MISMATCH]
    problems = mismatched + flagged
    details = {
        "points": len(rows),
        "flagged": len(flagged),
        "mismatched": len(mismatched),
        "compared": sum(1 for row in rows if "comparisons" in row),
        "problems": [
            {"index": row["index"], "name": row["name"], "workspace": row["workspace"], "flags": row["flags"]}
            for row in problems[:LISTED_PROBLEMS]
        ],
        "test": TEST,
        "rows": rows,
    }
    first = (
        f"; first: {_describe(problems[0])}: {problems[0]['flags'][0] if problems[0]['flags'] else '?'}"
        if problems
        else ""
    )
    if mismatched:
        return CheckResult(
            CHECK_ID,
            CheckStatus.FAILED,
            f"{len(mismatched)} of {len(rows)} signal point(s) differ from their published results"
            f" and {len(flagged)} are flagged{first}",
            details,
        )
    if flagged:
        return CheckResult(
            CHECK_ID,
            CheckStatus.WARNING,
            f"{len(flagged)} of {len(rows)} signal point(s) flagged (not finite or the fit fails){first}",
            details,
        )
    return CheckResult(
        CHECK_ID,
        CheckStatus.PASSED,
        f"all {len(rows)} signal point(s) evaluated: CLs at μ = 1 finite"
        + (f", {details['compared']} agree with their published results" if details["compared"] else ""),
        details,
    )


def _describe(row: dict[str, Any]) -> str:
    if row["name"] is None:
        return f"point {row['index']}"
    return f"{row['workspace']} + {row['name']}"


def deferred_result(total: int, limit: int) -> CheckResult:
    """The check when there are more points than a single run evaluates: chunks will do it."""
    return CheckResult(
        CHECK_ID,
        CheckStatus.SKIPPED,
        f"{total} signal points, more than the {limit} evaluated in one run: evaluate them in chunks",
        {"points": total, "deferred": True},
    )
