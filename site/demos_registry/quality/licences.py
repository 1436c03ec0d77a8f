"""Licence check: whether a model is under an open licence from the licences vocabulary (SPDX ids).

"Open" follows the Open Definition: a licence that lets anyone reuse, modify and redistribute
the model for any purpose. The vocabulary's ``osi_approved`` flag covers software licences;
Creative Commons and Open Data Commons licences (the usual ones for data and models) are
open unless they forbid commercial use (NC) or derivatives (ND).
"""

from ..registry_entries.entries import vocabulary_entries

LICENCES_VOCABULARY = "licenses"
OPEN_DATA_LICENCES = frozenset(
    {
        "cc0-1.0",
        "odc-by-1.0",
        "odbl-1.0",
        "pddl-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "cdla-sharing-1.0",
        "etalab-2.0",
        "ogl-uk-3.0",
        "dl-de-by-2.0",
        "dl-de-zero-2.0",
    }
)
"""Open Definition-conformant data licences that are not OSI-approved software licences."""

RESTRICTIONS = {
    "-nc": "forbids commercial use (NonCommercial)",
    "-nd": "forbids derivative works (NoDerivatives)",
}
"""Creative Commons elements that make a licence not open, and why."""


def licence_entries():
    """The licences vocabulary by id (the registry's one-minute vocabulary cache)."""
    return {entry["id"]: entry for entry in vocabulary_entries(LICENCES_VOCABULARY)}


def why_not_open(licence_id, entry):
    """None when the licence is open, else the reason it is not."""
    if licence_id.startswith("cc-"):
        restrictions = [reason for element, reason in RESTRICTIONS.items() if element in licence_id]
        return f"{licence_id} {' and '.join(restrictions)}" if restrictions else None
    if licence_id in OPEN_DATA_LICENCES:
        return None
    if str((entry.get("props") or {}).get("osi_approved", "")).lower() in ("y", "yes", "true"):
        return None
    return f"{licence_id} is neither OSI-approved nor an Open Definition data licence"


def licence_check(rights, entries=None):
    """The verdict on a record's ``metadata.rights``: ``{status, id, reason, fix}``.

    ``status`` is ``open``, ``missing`` (no licence), ``unknown`` (a licence typed in, not
    from the vocabulary: no SPDX id, so its terms cannot be checked) or ``not_open``.
    With several licences, one open licence suffices: the reuser may choose it.
    """
    if not rights:
        return {
            "status": "missing",
            "id": None,
            "reason": "no licence: without one nobody may reuse the model",
            "fix": "Choose an open licence such as cc-by-4.0 (data) or apache-2.0 (code).",
        }
    entries = licence_entries() if entries is None else entries
    verdicts = []
    for right in rights:
        licence_id = right.get("id")
        if not licence_id or licence_id not in entries:
            title = licence_id or (right.get("title") or {}).get("en") or "a custom licence"
            verdicts.append(
                {
                    "status": "unknown",
                    "id": licence_id,
                    "reason": f"{title} is not in the licences vocabulary: no SPDX id, its terms cannot be checked",
                    "fix": "Pick the licence from the licences vocabulary (SPDX ids).",
                }
            )
            continue
        reason = why_not_open(licence_id, entries[licence_id])
        if reason is None:
            return {"status": "open", "id": licence_id, "reason": None, "fix": None}
        verdicts.append(
            {
                "status": "not_open",
                "id": licence_id,
                "reason": reason,
                "fix": "Use an open licence such as cc-by-4.0, or add one next to it.",
            }
        )
    return verdicts[0]
