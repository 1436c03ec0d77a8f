"""Flask extension: the registry's hooks into the Invenio application."""

from .errors import register_service_unavailable_handlers
from .oai.server import init_oai_server
from .request_limits import init_request_limits


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
        init_request_limits(app)


class DemosRegistryAPI(DemosRegistry):
    """The registry on the REST API app: outages of search or database are 503 JSON there."""

    def init_app(self, app):
        """Flask application initialisation of the API app."""
        super().init_app(app)
        register_service_unavailable_handlers(app)
