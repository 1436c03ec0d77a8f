"""The registry's record permission policy: InvenioRDM's, with system-written validation figures.

InvenioRDM lets a draft's owner manage its media files; in the registry those files are the figures
of the validation verdict (model_validation/plots.py), evidence a curator relies on, so only the
system (the validation task) may create, replace or delete them. Reading them stays as in RDM.
"""

from invenio_rdm_records.services.permissions import RDMRecordPermissionPolicy
from invenio_records_permissions.generators import SystemProcess


class DemosRecordPermissionPolicy(RDMRecordPermissionPolicy):
    """RDM's record policy; draft media files are written by the validation task only."""

    can_draft_media_create_files = [SystemProcess()]
    can_draft_media_set_content_files = [SystemProcess()]
    can_draft_media_commit_files = [SystemProcess()]
    can_draft_media_update_files = [SystemProcess()]
    can_draft_media_delete_files = [SystemProcess()]
