"""The validation policy service: the one write path of the policies.

Every change is a new version (``update``); a restore is a new version that copies an
old one (``restore``); nothing is overwritten. ``revalidate`` queues a new validation of
the community's published models and of the drafts under review in it, each with an
entry in its decision trail naming the policy version, who made it and why.
"""

from datetime import UTC, datetime

from flask import current_app
from invenio_access.permissions import system_identity
from invenio_accounts.proxies import current_datastore
from invenio_communities.proxies import current_communities
from invenio_db import db
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_records_resources.services.base import Service
from invenio_requests.records.models import RequestMetadata
from invenio_search.engine import dsl
from marshmallow import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import NoResultFound

from ...custom_fields.config import MODEL_RESOURCE_TYPE
from ...loop_session import forget_loaded_records
from ...validation_runs.api import load, save
from ...validation_runs.state import PENDING, transition, user_actor
from ...validation_runs.tasks import validate_model
from ..api import current_policy, default_policy, policy_of_row, stored_versions
from ..models import ValidationPolicyVersion
from .schema import PolicySettingsSchema, reason_schema, update_schema

SUBMISSION_REQUEST = "community-submission"


class PolicyVersionNotFound(PIDDoesNotExistError):
    """The community's policy has no such version (404)."""

    def __init__(self, slug, version):
        """Name the community and the version."""
        super().__init__("validation-policy", f"{slug}/{version}")
        self.description = f"The validation policy of {slug} has no version {version}."


def user_name(user_id):
    """How the trail and the page name a user: username, else e-mail, else the id."""
    if user_id is None:
        return None
    user = current_datastore.get_user_by_id(user_id)
    if user is None:
        return f"user {user_id}"
    return user.username or user.email


class ValidationPolicyService(Service):
    """Read, list, change, restore a community's validation policy; re-validate its models."""

    def _community(self, identity, id_or_slug):
        """The community, read with the caller's identity (its read permission applies)."""
        return current_communities.service.read(identity, id_or_slug)

    def _require(self, identity, action, community):
        self.require_permission(identity, action, community_id=str(community.id))

    def _links(self, slug, version=None):
        config = current_app.config
        values = {
            "api": config["SITE_API_URL"].rstrip("/"),
            "ui": config["SITE_UI_URL"].rstrip("/"),
            "slug": slug,
            "version": version,
        }
        links = {name: template.format(**values) for name, template in self.config.links.items()}
        if version is None:
            links.pop("restore")
        return links

    def _view(self, policy, community, current_version=None):
        """A policy version as the API answers it."""
        slug = community.data["slug"]
        return {
            "community": {"id": str(community.id), "slug": slug},
            "version": policy.version,
            "current": current_version is None or current_version == policy.version,
            "is_default": policy.version == 0,
            "settings": policy.settings,
            "created": policy.created.isoformat() if policy.created else None,
            "created_by": (
                {"id": str(policy.created_by), "name": user_name(policy.created_by)}
                if policy.created_by is not None
                else None
            ),
            "reason": policy.reason,
            "restored_from": policy.restored_from,
            "links": self._links(slug, policy.version),
        }

    def read(self, identity, id_or_slug):
        """The policy the community's models are judged under now."""
        community = self._community(identity, id_or_slug)
        self._require(identity, "read", community)
        return self._view(current_policy(community.id, community.data["slug"]), community)

    def read_version(self, identity, id_or_slug, version):
        """One version of the community's policy (0: the registry's default)."""
        community = self._community(identity, id_or_slug)
        self._require(identity, "read", community)
        policy = self._version(community, version)
        return self._view(policy, community, current_policy(community.id, None).version)

    def list_versions(self, identity, id_or_slug):
        """Every version, newest first, ending with version 0 (the registry's default)."""
        community = self._community(identity, id_or_slug)
        self._require(identity, "read", community)
        slug = community.data["slug"]
        policies = [policy_of_row(row, slug) for row in stored_versions(community.id)]
        policies.append(default_policy(community.id, slug))
        newest = policies[0].version
        hits = [self._view(policy, community, newest) for policy in policies]
        return {"hits": hits, "total": len(hits), "links": self._links(slug)}

    def _version(self, community, version):
        slug = community.data["slug"]
        if version == 0:
            return default_policy(community.id, slug)
        row = db.session.get(ValidationPolicyVersion, (community.id, version))
        if row is None:
            raise PolicyVersionNotFound(slug, version)
        return policy_of_row(row, slug)

    def _load(self, schema, data):
        if not isinstance(data, dict):
            raise ValidationError({"body": ["Send a JSON object."]})
        return schema.load(data)

    def _new_version(self, identity, community, settings, reason, restored_from=None):
        """Insert the next version (versions of one community are numbered one at a time)."""
        # Two curators saving at once: the second waits for the first and numbers after it.
        db.session.execute(
            func.pg_advisory_xact_lock(func.hashtext(f"demos_validation_policy:{community.id}"))
        )
        newest = (
            db.session.query(func.max(ValidationPolicyVersion.version))
            .filter_by(community_id=community.id)
            .scalar()
        )
        user_id = int(identity.id) if identity.id is not None and str(identity.id).isdigit() else None
        row = ValidationPolicyVersion(
            community_id=community.id,
            version=(newest or 0) + 1,
            settings=settings,
            created=datetime.now(UTC),
            created_by=user_id,
            reason=reason,
            restored_from=restored_from,
        )
        db.session.add(row)
        db.session.commit()
        return self._view(policy_of_row(row, community.data["slug"]), community)

    def update(self, identity, id_or_slug, data):
        """A new version: ``{"settings": {...}, "reason": "..."}``; settings not given keep their value."""
        community = self._community(identity, id_or_slug)
        self._require(identity, "update", community)
        body = self._load(update_schema(self.config.minimum_reason), data)
        base = current_policy(community.id, community.data["slug"]).settings
        try:
            settings = PolicySettingsSchema().load({**base, **body["settings"]})
        except ValidationError as error:
            raise ValidationError({"settings": error.messages}) from error
        return self._new_version(identity, community, settings, body["reason"])

    def restore(self, identity, id_or_slug, version, data):
        """A new version with the settings of ``version``: ``{"reason": "..."}``."""
        community = self._community(identity, id_or_slug)
        self._require(identity, "restore", community)
        body = self._load(reason_schema(self.config.minimum_reason), data)
        old = self._version(community, version)
        settings = PolicySettingsSchema().load(old.settings)
        return self._new_version(identity, community, settings, body["reason"], restored_from=version)

    def _models(self, community):
        """(published record ids, ids of drafts under review) of the community's models."""
        slug = community.data["slug"]
        query = dsl.Q("term", **{"metadata.resource_type.id": MODEL_RESOURCE_TYPE}) & (
            dsl.Q("term", **{"parent.communities.ids": str(community.id)})
            | dsl.Q("term", **{"custom_fields.demos:domain.id": slug.removeprefix("demos-")})
        )
        published = sorted(
            hit["id"] for hit in current_rdm_records_service.scan(system_identity, extra_filter=query)
        )
        # From the database: drafts are not searchable by the system identity.
        requests = db.session.query(RequestMetadata.json[("topic", "record")].as_string()).filter(
            RequestMetadata.json["type"].as_string() == SUBMISSION_REQUEST,
            RequestMetadata.json["status"].as_string() == "submitted",
            RequestMetadata.json[("receiver", "community")].as_string() == str(community.id),
        )
        drafts = sorted({recid for (recid,) in requests if recid})
        return published, drafts

    def revalidate(self, identity, id_or_slug):
        """Queue a validation of each model of the community under its current policy.

        Each gets a trail entry: "validation policy of <slug> changed to version n by
        <user>: <reason>". Returns the counts and the policy version.
        """
        community = self._community(identity, id_or_slug)
        self._require(identity, "revalidate", community)
        slug = community.data["slug"]
        policy = current_policy(community.id, slug)
        if policy.version == 0:
            reason = f"validation policy of {slug}: the registry's default (version 0)"
        else:
            reason = (
                f"validation policy of {slug} changed to version {policy.version} "
                f"by {user_name(policy.created_by) or 'the registry'}: {policy.reason}"
            )
        actor = (
            {"type": "system", "id": "revalidation"}
            if identity == system_identity
            else user_actor(identity, "curator")
        )
        published, drafts = self._models(community)
        db.session.rollback()
        queued = {"published": 0, "under_review": 0}
        for recids, draft, counter in ((published, False, "published"), (drafts, True, "under_review")):
            for recid in recids:
                try:
                    record = load(recid, draft)
                except (PIDDoesNotExistError, NoResultFound):
                    db.session.rollback()
                    continue
                transition(record, PENDING, actor, reason)
                save(record, draft)
                validate_model.delay(recid, draft)
                queued[counter] += 1
                forget_loaded_records()
        return {
            "community": {"id": str(community.id), "slug": slug},
            "policy": policy.reference,
            "queued": queued["published"] + queued["under_review"],
            **queued,
            "reason": reason,
            "links": self._links(slug),
        }
