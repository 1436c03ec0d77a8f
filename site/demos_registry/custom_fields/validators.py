"""Validators of DEMOS metadata values, with messages that name what is wrong."""

import math
import re
import uuid

import idutils
from marshmallow import ValidationError

GITHUB_URL = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?(/.*)?$")
HEPDATA_URL = re.compile(r"^https?://(www\.)?hepdata\.net/record/(ins)?\d+.*$")
HEPDATA_DOI = re.compile(r"^10\.17182/hepdata\.\d+(\.v\d+)?(/t\d+|/r\d+)?$")
INSPIRE_ID = re.compile(r"^\d{1,9}$")
INSPIRE_URL = re.compile(r"^https?://(www\.)?inspirehep\.net/(literature|record)/\d+.*$")
ZENODO_DOI = re.compile(r"^10\.5281/zenodo\.\d+$")
ZENODO_URL = re.compile(r"^https?://(www\.)?zenodo\.org/(records?|doi)/.+$")
SEMANTIC_VERSION = re.compile(r"^\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$")


def finite_number(value):
    """Reject NaN and infinities, which JSON and physics both dislike."""
    if not math.isfinite(value):
        raise ValidationError("Must be a finite number.")


def non_negative(value):
    """Tolerances are distances: never negative."""
    finite_number(value)
    if value < 0:
        raise ValidationError("Must be zero or positive.")


def uuid_string(value):
    """A canonical UUID (model_id is stable across versions)."""
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        raise ValidationError("Not a valid UUID.") from None
    if str(parsed) != str(value).lower():
        raise ValidationError("Give the UUID in its canonical 8-4-4-4-12 form.")


def model_version(value):
    """Versions like 1, 1.0, 1.0.0 or 1.0.0-rc1."""
    if not SEMANTIC_VERSION.match(value):
        raise ValidationError("Not a version number like 1.0.0.")


def _doi(value):
    return bool(idutils.is_doi(value)) and value.startswith("10.")


IDENTIFIER_CHECKS = {
    "doi": (_doi, "a DOI like 10.1103/PhysRevD.109.112006"),
    "arxiv": (lambda v: bool(idutils.is_arxiv(v)), "an arXiv identifier like 2311.14647"),
    "inspire": (
        lambda v: bool(INSPIRE_ID.match(v) or INSPIRE_URL.match(v)),
        "an INSPIRE record number like 2728634 or an inspirehep.net URL",
    ),
    "hepdata": (
        lambda v: bool(HEPDATA_DOI.match(v) or HEPDATA_URL.match(v)),
        "a HEPData DOI like 10.17182/hepdata.89408.v3 or a hepdata.net record URL",
    ),
    "zenodo": (
        lambda v: bool(ZENODO_DOI.match(v) or ZENODO_URL.match(v)),
        "a Zenodo DOI like 10.5281/zenodo.1234567 or a zenodo.org record URL",
    ),
    "github": (
        lambda v: bool(GITHUB_URL.match(v)),
        "a GitHub URL like https://github.com/owner/repository",
    ),
    "url": (lambda v: bool(idutils.is_url(v)), "an http(s) URL"),
}
"""Scheme → (check, what a valid value looks like)."""


def identifier_for_scheme(data):
    """Schema-level check of an external reference: the identifier fits its scheme."""
    check, expected = IDENTIFIER_CHECKS[data["scheme"]]
    if not check(data["identifier"]):
        raise ValidationError(
            f"Not {expected}.",
            field_name="identifier",
        )


MAX_FILE_NAME_BYTES = 255
"""What common file systems accept for one name: a file downloaded must be savable as named."""


def file_name(value):
    """A plain file name: no folders, no traversal, no control characters, not too long."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("A file needs a name.")
    if value in (".", "..") or "/" in value or "\\" in value:
        raise ValidationError("Give a plain file name, without folders ('/', '\\\\') or '..'.")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError("File names may not contain control characters (NUL, line breaks, ...).")
    if value != value.strip():
        raise ValidationError("File names may not start or end with spaces.")
    if len(value.encode("utf-8", errors="replace")) > MAX_FILE_NAME_BYTES:
        raise ValidationError(f"File names may have at most {MAX_FILE_NAME_BYTES} bytes.")
