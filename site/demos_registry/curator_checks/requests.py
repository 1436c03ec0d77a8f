"""The community-submission request of the registry: invenio-checks' one, with a verdict gate on accept.

Accepting a submission publishes the draft, and publishing a model whose
validation failed is refused by the registry (custom_fields/components.py) with a
generic "validation error" that Invenio's request page shows as such. The accept
action refuses first, naming the failed checks and what the curator can do.
"""

from typing import ClassVar

from invenio_rdm_records.checks.requests import CommunitySubmission
from invenio_requests.errors import CannotExecuteActionError

from ..custom_fields.config import MODEL_RESOURCE_TYPE
from ..validation_policies.api import needs_review_refusal
from ..validation_runs.state import FINISHED, PUBLISHABLE, current, failed_reasons


def accept_refusal(draft):
    """Why a curator may not accept this draft yet (None when they may)."""
    if draft.get("metadata", {}).get("resource_type", {}).get("id") != MODEL_RESOURCE_TYPE:
        return None
    if not draft.files.entries:
        return None
    state = current(draft)
    status = state.get("status")
    if status in PUBLISHABLE:
        return needs_review_refusal(draft)
    if status in FINISHED:
        reasons = "; ".join(failed_reasons(state)) or (state.get("history") or [{}])[-1].get("reason", "")
        return (
            f"the model failed validation ({reasons}). Override the verdict with a written reason "
            "(DEMOS model validation tab of the checks) or decline the request."
        )
    return f"the model's validation has not finished (status: {status or 'not started'}); accept it once the verdict is in."


class VerdictGatedAcceptAction(CommunitySubmission.available_actions["accept"]):
    """Accept only a model whose verdict allows publication (passed, needs review unless its policy says no, overridden)."""

    def execute(self, identity, uow, **kwargs):
        """Refuse with the reason, or accept and publish as Invenio does."""
        refusal = accept_refusal(self.request.topic.resolve())
        if refusal:
            raise CannotExecuteActionError("accept", refusal)
        super().execute(identity, uow, **kwargs)


class DemosCommunitySubmission(CommunitySubmission):
    """Submission to a community: checks run on creation (invenio-checks), accept gated on the verdict."""

    available_actions: ClassVar[dict] = {
        **CommunitySubmission.available_actions,
        "accept": VerdictGatedAcceptAction,
    }
