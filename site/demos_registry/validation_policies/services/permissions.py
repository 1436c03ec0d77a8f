"""Who may read and change a community's validation policy.

Reading: anyone who may read the community (the service reads the community with the
caller's identity first, so a restricted community's policy stays as hidden as it is).
Changing, restoring a version and re-validating the community's models: the community's
owners, managers and curators (invenio-communities' ``curate`` roles) and administrators.
"""

from typing import ClassVar

from invenio_administration.generators import Administration
from invenio_communities.generators import CommunityCurators
from invenio_records_permissions import BasePermissionPolicy
from invenio_records_permissions.generators import AnyUser, SystemProcess


class ValidationPolicyPermissionPolicy(BasePermissionPolicy):
    """Needs of each action; the community generators take ``community_id``."""

    can_read: ClassVar[list] = [AnyUser(), SystemProcess()]
    can_update: ClassVar[list] = [CommunityCurators(), Administration(), SystemProcess()]
    can_restore: ClassVar[list] = [CommunityCurators(), Administration(), SystemProcess()]
    can_revalidate: ClassVar[list] = [CommunityCurators(), Administration(), SystemProcess()]
