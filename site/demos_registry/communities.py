"""One community per physics domain, reviewed by curators.

Each domain of the ``demosdomains`` vocabulary gets a community ``demos-<domain>``
where anyone may submit a model and every submission is reviewed (review policy
"closed": curators review even their own). The curator account given is made a
curator of all of them. Each community shows the DEMOS validation verdict of a
submission on its request page (the ``demos_validation`` check, curator_checks/).
Each has a logo, the domain's short name on the registry's blue: pages that show a
community without one ask for it and get a 404 (an error in every browser console).
"""

import io

from invenio_access.permissions import system_identity
from invenio_communities.errors import LogoNotFoundError
from invenio_communities.members.records.api import Member
from invenio_communities.proxies import current_communities
from invenio_pidstore.errors import PIDDoesNotExistError
from PIL import Image, ImageDraw, ImageFont

from .curator_checks.api import ensure_validation_check
from .registry_entries.entries import vocabulary_entries
from .submissions.service import COMMUNITY_SLUG

CURATOR_ROLE = "curator"
LOGO_SIZE = 240
LOGO_BACKGROUND = "#1b3a6b"


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


def domain_logo(name):
    """A PNG logo: ``name`` in white on the registry's blue, as large as fits."""
    image = Image.new("RGB", (LOGO_SIZE, LOGO_SIZE), LOGO_BACKGROUND)
    draw = ImageDraw.Draw(image)
    size = LOGO_SIZE // 4
    while size > 8 and draw.textlength(name, font=ImageFont.load_default(size=size)) > 0.85 * LOGO_SIZE:
        size -= 2
    font = ImageFont.load_default(size=size)
    draw.text((LOGO_SIZE / 2, LOGO_SIZE / 2), name, fill="white", font=font, anchor="mm")
    png = io.BytesIO()
    image.save(png, format="PNG")
    return png.getvalue()


def ensure_logo(community_id, name):
    """Give the community a logo unless it has one."""
    service = current_communities.service
    try:
        service.read_logo(system_identity, community_id)
    except LogoNotFoundError:
        logo = domain_logo(name)
        service.update_logo(system_identity, community_id, io.BytesIO(logo), content_length=len(logo))


def ensure_domain_communities(curator_user):
    """Create the missing domain communities; returns (created, existing) counts."""
    domains = vocabulary_entries("demosdomains", fresh=True)
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
        ensure_logo(community.id, (domain.get("props") or {}).get("short") or domain["title"]["en"])
    return created, existing
