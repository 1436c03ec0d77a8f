"""Settings of the validation policies (defaults set by the extension; ``INVENIO_<NAME>`` overrides them)."""

from ..validation_engine.metadata import DEFAULT_ATOL, DEFAULT_RTOL

DEMOS_VALIDATION_POLICY_DEFAULT = {
    "default_rtol": DEFAULT_RTOL,
    "default_atol": DEFAULT_ATOL,
    "required_checks": [],
    "accept_needs_review": True,
    "patch_points_must_be_finite": False,
}
"""Version 0 of every community's policy: the registry's global behaviour before policies existed.

The engine's default tolerances for reference points, no check required beyond what the
engine fails on its own, a ``needs_review`` verdict publishable, a flagged (non-finite)
signal point a warning for the curator rather than a failure."""

DEMOS_VALIDATION_POLICY_MIN_REASON = 10
"""Fewest characters of the reason a curator gives for a new policy version."""
