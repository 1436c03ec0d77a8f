"""Who may call the models service's write operations at all.

The records themselves are guarded by the registry's record policy (permissions.py), which
the service applies by working through InvenioRDM's records service with the caller's
identity; this policy only refuses anonymous callers before their request is looked at,
so that they are asked to authenticate (401) rather than told what they may not do.
The status dashboard is the administrators' (``administration-access``).
"""

from typing import ClassVar

from invenio_administration.generators import Administration
from invenio_records_permissions import BasePermissionPolicy
from invenio_records_permissions.generators import AuthenticatedUser, SystemProcess


class ModelsPermissionPolicy(BasePermissionPolicy):
    """Writes of the models API need an authenticated user (or the system); the status, an administrator."""

    can_create: ClassVar[list] = [AuthenticatedUser(), SystemProcess()]
    can_update: ClassVar[list] = [AuthenticatedUser(), SystemProcess()]
    can_delete: ClassVar[list] = [AuthenticatedUser(), SystemProcess()]
    can_validate: ClassVar[list] = [AuthenticatedUser(), SystemProcess()]
    can_read_status: ClassVar[list] = [Administration(), SystemProcess()]
