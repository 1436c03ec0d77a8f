"""The validation policy a model is judged under, and the judgement of a report under it.

A model is judged by its domain community (``demos-<demos:domain>``; a record without a
domain, by the DEMOS community it belongs to). That community's newest policy version
applies; a community without one has version 0, the registry's default. Read-only: the
versions are written by the service (services/service.py) only.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from invenio_access.permissions import system_identity
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_pidstore.errors import PIDDoesNotExistError

from ..validation_engine.report import ValidationReport
from ..validation_runs.state import NEEDS_REVIEW, current
from .config import DEMOS_VALIDATION_POLICY_DEFAULT
from .models import ValidationPolicyVersion

DOMAIN_COMMUNITY_PREFIX = "demos-"
PATCH_POINTS_CHECK = "patch_points"


@dataclass(frozen=True)
class Policy:
    """One version of a community's policy (version 0: the registry's default)."""

    community_id: str | None
    slug: str | None
    version: int
    settings: dict
    created: datetime | None = None
    created_by: int | None = None
    reason: str | None = None
    restored_from: int | None = None

    @property
    def reference(self):
        """What a verdict stores to name the policy it was judged under."""
        return {"community": self.slug, "version": self.version}

    def describe(self):
        """The policy in words, for the decision trail and error messages."""
        if self.slug is None:
            return "the registry's default validation policy"
        return f"the validation policy of {self.slug}, version {self.version}"


def default_settings():
    """Version 0: ``DEMOS_VALIDATION_POLICY_DEFAULT`` (each setting not configured: the built-in default)."""
    configured = current_app.config.get("DEMOS_VALIDATION_POLICY_DEFAULT") or {}
    return {**DEMOS_VALIDATION_POLICY_DEFAULT, **configured}


def default_policy(community_id=None, slug=None):
    """Version 0 of a community (or of a record judged by no community)."""
    return Policy(
        str(community_id) if community_id else None,
        slug,
        0,
        default_settings(),
        reason="the registry's default settings",
    )


def policy_of_row(row, slug):
    """A stored version as a Policy; settings missing from an older row take the default."""
    return Policy(
        str(row.community_id),
        slug,
        row.version,
        {**default_settings(), **row.settings},
        created=row.created,
        created_by=row.created_by,
        reason=row.reason,
        restored_from=row.restored_from,
    )


def stored_versions(community_id):
    """The stored versions of a community's policy, newest first."""
    return (
        db.session.query(ValidationPolicyVersion)
        .filter_by(community_id=community_id)
        .order_by(ValidationPolicyVersion.version.desc())
        .all()
    )


def current_policy(community_id, slug):
    """The newest version of a community's policy (version 0 when it has none)."""
    row = (
        db.session.query(ValidationPolicyVersion)
        .filter_by(community_id=community_id)
        .order_by(ValidationPolicyVersion.version.desc())
        .first()
    )
    return default_policy(community_id, slug) if row is None else policy_of_row(row, slug)


def _community(id_or_slug):
    """(id, slug) of a community, None if there is none."""
    try:
        community = current_communities.service.read(system_identity, id_or_slug)
    except PIDDoesNotExistError:
        return None
    return community.id, community.data["slug"]


def community_of(record):
    """(id, slug) of the community whose policy judges the record, None if none does.

    Its domain's community first (where every model is submitted for review); a record
    without a domain, by the DEMOS domain community it was published in.
    """
    from ..submissions.service import COMMUNITY_SLUG  # submissions imports validation_runs

    domain = (record.get("custom_fields", {}).get("demos:domain") or {}).get("id")
    if domain:
        found = _community(COMMUNITY_SLUG.format(domain=domain))
        if found:
            return found
    try:
        default = record.parent.communities.default
    except (AttributeError, KeyError):
        default = None
    if default is not None and str(default.get("slug", "")).startswith(DOMAIN_COMMUNITY_PREFIX):
        return default.id, default["slug"]
    return None


def policy_for_record(record):
    """The policy a record is judged under now."""
    community = community_of(record)
    if community is None:
        return default_policy()
    return current_policy(*community)


def same_policy(state, policy):
    """True if a stored verdict was judged under this policy (verdicts from before policies: version 0)."""
    judged = state.get("policy")
    if judged is None:
        return policy.version == 0
    return judged == policy.reference


def engine_tolerances(policy):
    """The tolerances the engine gives reference points that declare none."""
    return {"rtol": policy.settings["default_rtol"], "atol": policy.settings["default_atol"]}


def judge(report, policy):
    """Judge an engine report under a policy; returns what the policy changed (a list of reasons).

    A required check that was skipped or did not run fails, with the reason; with
    ``patch_points_must_be_finite`` flagged signal points fail the point check instead of
    asking for a review. The report's status is computed again from its checks.
    """
    settings = policy.settings
    checks = report.setdefault("checks", [])
    by_id = {check["id"]: check for check in checks}
    changed = []
    for check_id in settings.get("required_checks") or []:
        check = by_id.get(check_id)
        if check is None:
            reason = f"required by {policy.describe()}, but it did not run"
            checks.append(
                {
                    "id": check_id,
                    "status": "failed",
                    "reason": reason,
                    "details": {"policy": {"required": True, "engine_status": None}},
                    "duration_seconds": 0.0,
                }
            )
            changed.append(f"{check_id}: {reason}")
        elif check["status"] == "skipped":
            reason = (
                f"required by {policy.describe()}, but skipped: {check.get('reason') or 'no reason given'}"
            )
            check.update(status="failed", reason=reason)
            check["details"] = {
                **(check.get("details") or {}),
                "policy": {"required": True, "engine_status": "skipped"},
            }
            changed.append(f"{check_id}: {reason}")
    points = by_id.get(PATCH_POINTS_CHECK)
    if (
        settings.get("patch_points_must_be_finite")
        and points is not None
        and points["status"] == "warning"
        and (points.get("details") or {}).get("flagged")
    ):
        points["status"] = "failed"
        points["reason"] = (
            f"{points.get('reason')}; {policy.describe()} requires every signal point to be finite"
        )
        points["details"] = {
            **(points.get("details") or {}),
            "policy": {"patch_points_must_be_finite": True, "engine_status": "warning"},
        }
        changed.append(f"{PATCH_POINTS_CHECK}: flagged signal points fail under {policy.describe()}")
    report["status"] = ValidationReport.from_dict(report).status.value
    return changed


def needs_review_refusal(record):
    """Why a ``needs_review`` model may not be published under its community's policy (None: it may)."""
    if current(record).get("status") != NEEDS_REVIEW:
        return None
    policy = policy_for_record(record)
    if policy.settings.get("accept_needs_review", True):
        return None
    return (
        f"The model needs review, and {policy.describe()} does not accept such a model: "
        "a curator overrides the verdict with a written reason, or the model is fixed."
    )
