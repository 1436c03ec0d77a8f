"""The registry's record permission policy: InvenioRDM's, plus who may act on a validation verdict.

InvenioRDM lets a draft's owner manage its media files; in the registry those files are the figures
of the validation verdict (validation_runs/plots.py), evidence a curator relies on, so only the
system (the validation task) may create, replace or delete them. Reading them stays as in RDM.

Every caller (the REST endpoints, ``/api/models``, the curator's checks tab, the CLI) asks this
policy: ``revalidate`` (owners, the curators, managers and owners of the model's communities, the
reviewers of its submission, administrators) and ``override_validation`` (the same without the
uploader: accepting a failed model is a curator's decision). Administrators pass every action.
"""

from typing import ClassVar

from invenio_rdm_records.services.generators import (
    RecordCommunitiesAction,
    RecordOwners,
    SubmissionReviewer,
)
from invenio_rdm_records.services.permissions import RDMRecordPermissionPolicy
from invenio_records_permissions.generators import SystemProcess


class DemosRecordPermissionPolicy(RDMRecordPermissionPolicy):
    """RDM's record policy; validation figures are the task's, verdict actions per role."""

    can_revalidate: ClassVar[list] = [
        RecordOwners(),
        RecordCommunitiesAction("curate"),
        SubmissionReviewer(),
        SystemProcess(),
    ]
    can_override_validation: ClassVar[list] = [
        RecordCommunitiesAction("curate"),
        SubmissionReviewer(),
        SystemProcess(),
    ]

    can_draft_media_create_files: ClassVar[list] = [SystemProcess()]
    can_draft_media_set_content_files: ClassVar[list] = [SystemProcess()]
    can_draft_media_commit_files: ClassVar[list] = [SystemProcess()]
    can_draft_media_update_files: ClassVar[list] = [SystemProcess()]
    can_draft_media_delete_files: ClassVar[list] = [SystemProcess()]
