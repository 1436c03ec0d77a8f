"""Flask extension of the lineage: the graph for the landing page's list of relations."""

from flask import current_app, g

from ..proxies import current_demos_registry


def lineage_of(record_id):
    """The lineage graph of a record as the signed-in user may see it, with absolute API links."""
    return current_demos_registry.models_service.lineage(
        g.identity, record_id, api_url=current_app.config["SITE_API_URL"]
    )


class Lineage:
    """Registered on the UI app (``invenio_base.apps``): ``demos_lineage(record_id)`` for templates."""

    def __init__(self, app=None):
        """Initialise the extension."""
        if app:
            self.init_app(app)

    def init_app(self, app):
        """Templates get ``demos_lineage``."""
        app.add_template_global(lineage_of, "demos_lineage")
        app.extensions["demos-lineage"] = self
