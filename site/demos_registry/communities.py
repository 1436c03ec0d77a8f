"""One community per physics domain, reviewed by curators.

Each domain of the ``demosdomains`` vocabulary gets a community ``demos-<domain>``
where anyone may submit a model and every submission is reviewed (review policy
"closed": curators review even their own). The curator account given is made a
curator of all of them. Each community shows the DEMOS validation verdict of a
submission on its request page (the ``demos_validation`` check, checks/).
"""

from invenio_access.permissions import system_identity
from invenio_communities.members.records.api import Member
from invenio_communities.proxies import current_communities
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_vocabularies.proxies import current_service as vocabulary_service

from .checks.api import ensure_validation_check
from .submissions.service import COMMUNITY_SLUG

CURATOR_ROLE = "curator"


def community_data(domain):
    """Service data of the community of one domain vocabulary entry."""
    title = domain["title"]["en"]
    return {
        "slug": COMMUNITY_SLUG.format(domain=domain["id"]),
        "metadata": {
            "title": f"{title} models",
            "description": (
                f"Statistical models of {title.lower()} results, curated by the DEMOS "
                "Model Registry: every submission is validated and reviewed."
            ),
            "type": {"id": "topic"},
        },
        "access": {
            "visibility": "public",
            "members_visibility": "public",
            "member_policy": "closed",
            "record_submission_policy": "open",
            "review_policy": "closed",
        },
    }


def ensure_curator(community_id, user_id):
    """Make the user a curator of the community unless they are a member already."""
    entity = {"type": "user", "id": str(user_id)}
    if not Member.get_members(community_id, [entity]):
        current_communities.service.members.add(
            system_identity, community_id, {"members": [entity], "role": CURATOR_ROLE}
        )


def ensure_domain_communities(curator_user):
    """Create the missing domain communities; returns (created, existing) counts."""
    domains = vocabulary_service.read_all(
        system_identity, fields=["id", "title"], type="demosdomains", max_records=100
    )
    created = existing = 0
    service = current_communities.service
    for domain in domains:
        data = community_data(domain)
        try:
            community = service.read(system_identity, data["slug"])
            existing += 1
        except PIDDoesNotExistError:
            community = service.create(system_identity, data)
            created += 1
        ensure_curator(community.id, curator_user.id)
        ensure_validation_check(community.id)
    return created, existing
