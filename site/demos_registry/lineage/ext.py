"""Flask extension of the lineage: the graph for the landing page's list of relations."""

from flask import current_app, g
from flask_principal import PermissionDenied

from ..models_api.services.errors import ModelNotFound
from ..proxies import current_demos_registry
from .drawing import lineage_drawing


def lineage_of(record_id):
    """The lineage graph of a record as the signed-in user may see it, with absolute API links.

    None where there is none to show (not a model, or a draft preview the user may not
    read as a model), so that the landing page leaves the section out instead of failing.
    ``PermissionDenied`` covers both Invenio denials: a draft's (``PermissionDeniedError``) and a
    published record's (``RecordPermissionDeniedError``, no subclass of the other).
    """
    try:
        return current_demos_registry.models_service.lineage(
            g.identity, record_id, api_url=current_app.config["SITE_API_URL"]
        )
    except (ModelNotFound, PermissionDenied):
        return None


class Lineage:
    """Registered on the UI app (``invenio_base.apps``): the lineage and its drawing for templates."""

    def __init__(self, app=None):
        """Initialise the extension."""
        if app:
            self.init_app(app)

    def init_app(self, app):
        """Templates get ``demos_lineage`` and ``demos_lineage_drawing``."""
        app.add_template_global(lineage_of, "demos_lineage")
        app.add_template_global(lineage_drawing, "demos_lineage_drawing")
        app.extensions["demos-lineage"] = self
