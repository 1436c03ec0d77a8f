"""What the instance-status endpoints answer: health, versions, and what this registry is."""

from flask import current_app
from invenio_app_rdm import __version__ as invenio_app_rdm_version

from .. import __version__
from ..models_api.resources.openapi import API_VERSION


def versions():
    """Registry, API and InvenioRDM versions."""
    return {
        "version": __version__,
        "api_version": API_VERSION,
        "invenio_app_rdm": invenio_app_rdm_version,
    }


def info(identity, models_service, api_url):
    """Name, versions, the models the identity may see per domain, and where the APIs are.

    ``api_url(path)`` is the absolute URL of an API path as the caller reached the API.
    """
    total, domains = models_service.count_by_domain(identity)
    site_url = current_app.config["SITE_UI_URL"]
    return {
        **versions(),
        "name": current_app.config["THEME_SITENAME"],
        "description": "Registry of statistical models (likelihoods) of physics results.",
        "site_url": site_url,
        "models": total,
        "domains": domains,
        "links": {
            "models": api_url("/models"),
            "golden": api_url("/models/golden"),
            "openapi": api_url("/models/openapi.json"),
            "docs": api_url("/models/docs"),
            "health": api_url("/health"),
            "records": api_url("/records"),
            "oai_pmh": f"{site_url}/oai2d",
        },
    }
