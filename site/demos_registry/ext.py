"""Flask extension: the registry's hooks into the Invenio application."""

from .oai.server import init_oai_server


class DemosRegistry:
    """Register the DEMOS Model Registry on an Invenio app."""

    def __init__(self, app=None):
        """Initialise the extension."""
        if app:
            self.init_app(app)

    def init_app(self, app):
        """Flask application initialisation."""
        app.extensions["demos-registry"] = self
        init_oai_server(app)
