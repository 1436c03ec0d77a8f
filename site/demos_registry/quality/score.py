"""The quality score 0–100 of a model: how completely it is described for reuse.

Each criterion gives its points when met (description and ORCID partially, in proportion);
docs/api.md "Quality score and licence check" is the table users read. The score is a
function of the record's data alone, so the API answer and the search index agree.
"""

import re

from ..validation_runs.state import OVERRIDDEN, PASSED
from .licences import licence_check

DESCRIPTION_LENGTH = 200
"""Characters of description text (HTML tags not counted) that earn the full points."""

VALIDATED = (PASSED, OVERRIDDEN)
PUBLICATION_SCHEMES = ("doi", "arxiv", "inspire")
HEPDATA_MARK = "hepdata"
TAGS = re.compile(r"<[^>]*>")


def _references(record):
    """(scheme, identifier) of the external references and related identifiers."""
    references = (record.get("custom_fields") or {}).get("demos:external_references") or []
    related = (record.get("metadata") or {}).get("related_identifiers") or []
    return [(r.get("scheme", ""), str(r.get("identifier", ""))) for r in [*references, *related]]


def _validation_passed(record, licence):
    status = ((record.get("custom_fields") or {}).get("demos:validation") or {}).get("status")
    return 1.0 if status in VALIDATED else 0.0


def _reference_points(record, licence):
    return 1.0 if (record.get("custom_fields") or {}).get("demos:reference_points") else 0.0


def _expected_outputs(record, licence):
    outputs = (record.get("custom_fields") or {}).get("demos:expected_outputs") or {}
    return 1.0 if any(value not in (None, {}, []) for value in outputs.values()) else 0.0


def _publication(record, licence):
    return 1.0 if any(scheme in PUBLICATION_SCHEMES for scheme, _ in _references(record)) else 0.0


def _hepdata(record, licence):
    found = any(
        scheme == HEPDATA_MARK or HEPDATA_MARK in identifier for scheme, identifier in _references(record)
    )
    return 1.0 if found else 0.0


def _licence(record, licence):
    return 1.0 if licence["status"] == "open" else 0.0


def _description(record, licence):
    text = TAGS.sub(" ", (record.get("metadata") or {}).get("description") or "")
    return min(len(" ".join(text.split())) / DESCRIPTION_LENGTH, 1.0)


def _creators_with_orcid(record, licence):
    people = [
        creator.get("person_or_org") or {}
        for creator in (record.get("metadata") or {}).get("creators") or []
        if (creator.get("person_or_org") or {}).get("type") == "personal"
    ]
    if not people:
        return 0.0
    with_orcid = [p for p in people if any(i.get("scheme") == "orcid" for i in p.get("identifiers") or [])]
    return len(with_orcid) / len(people)


CRITERIA = (
    ("validation", 20, _validation_passed, "Fix what the validation report names, or ask a curator."),
    (
        "reference_points",
        15,
        _reference_points,
        "Add reference points: parameter values and the expected -2 ln L.",
    ),
    (
        "expected_outputs",
        10,
        _expected_outputs,
        "Add expected outputs: best fit, upper limit or -2 ln L at the best fit.",
    ),
    (
        "publication",
        15,
        _publication,
        "Add the publication as an external reference (DOI, arXiv or INSPIRE).",
    ),
    ("hepdata", 10, _hepdata, "Add the HEPData record the model belongs to as an external reference."),
    ("licence", 10, _licence, "Choose an open licence from the licences vocabulary, e.g. cc-by-4.0."),
    (
        "description",
        10,
        _description,
        f"Describe the model in at least {DESCRIPTION_LENGTH} characters: what it is, where it comes from.",
    ),
    ("creators_orcid", 10, _creators_with_orcid, "Give every person among the creators an ORCID."),
)
"""(name, points, share met 0–1 given the record and its licence check, how to fix): 100 points in all."""


def quality(record):
    """Score, what is missing (with the points it would add and how to fix it), and the licence check."""
    licence = licence_check((record.get("metadata") or {}).get("rights"))
    score, missing = 0, []
    for name, points, met, fix in CRITERIA:
        earned = int(points * met(record, licence))
        score += earned
        if earned < points:
            missing.append({"criterion": name, "points": points - earned, "fix": fix})
    return {"score": score, "missing": missing, "licence": licence}


def index_fields(result):
    """What the search index keeps of a quality result: enough to filter and sort."""
    return {
        "score": result["score"],
        "missing": [item["criterion"] for item in result["missing"]],
        "licence": result["licence"]["status"],
    }
