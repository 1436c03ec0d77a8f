"""Settings enabling invenio-checks on community requests (imported by demos_registry.config)."""

from invenio_rdm_records.checks import requests as checks_requests

from .requests import DemosCommunitySubmission

CHECKS_ENABLED = True
"""Run the communities' checks on drafts and show them on the request page."""

RDM_COMMUNITY_SUBMISSION_REQUEST_CLS = DemosCommunitySubmission
"""Submission requests that run the community's checks when created and accept only validated models."""

RDM_COMMUNITY_INCLUSION_REQUEST_CLS = checks_requests.CommunityInclusion
"""Inclusion requests (of published records) that run the community's checks when submitted."""
