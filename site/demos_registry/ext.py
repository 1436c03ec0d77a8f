"""Flask extension: the registry's hooks into the Invenio application, its services and resources."""

from .errors import register_service_unavailable_handlers
from .instance_status.resource import InstanceStatusResource, InstanceStatusResourceConfig
from .mail_sink import allow_special_email_domains, init_mail_sink
from .models_api import config as models_api_config
from .models_api.resources import ModelsResource, ModelsResourceConfig
from .models_api.services import ModelsService, ModelsServiceConfig
from .oai.server import init_oai_server
from .request_limits import init_request_limits
from .search.facet_counts import register_facet_keys_dumper
from .validation_runs.index import register_validation_summary_dumper


class DemosRegistry:
    """Register the DEMOS Model Registry on an Invenio app."""

    def __init__(self, app=None):
        """Initialise the extension."""
        if app:
            self.init_app(app)

    def init_app(self, app):
        """Flask application initialisation."""
        self.init_config(app)
        self.init_services(app)
        self.init_resources(app)
        app.extensions["demos-registry"] = self
        init_oai_server(app)
        init_request_limits(app)
        init_mail_sink(app)
        allow_special_email_domains(app)
        # A class attribute of the record classes: the index holds the verdict's summary.
        register_validation_summary_dumper()
        # On the embedded search server, every indexed document adds its facet values (search/facet_counts.py).
        register_facet_keys_dumper()

    @staticmethod
    def init_config(app):
        """Defaults of the models API's settings (``demos_registry.config`` and INVENIO_* override them)."""
        for name in dir(models_api_config):
            if name.startswith("DEMOS_MODELS_API_"):
                app.config.setdefault(name, getattr(models_api_config, name))

    def init_services(self, app):
        """The registry's services, built once per application."""
        self.models_service = ModelsService(ModelsServiceConfig.build(app))

    def init_resources(self, app):
        """The registry's REST resources over its services (blueprints: views.py of each package)."""
        self.models_resource = ModelsResource(ModelsResourceConfig.build(app), self.models_service)
        self.instance_status_resource = InstanceStatusResource(
            InstanceStatusResourceConfig.build(app), self.models_service
        )

    @property
    def api_resources(self):
        """The resources the OpenAPI document describes."""
        return (self.models_resource, self.instance_status_resource)


class DemosRegistryAPI(DemosRegistry):
    """The registry on the REST API app: outages of search or database are 503 JSON there."""

    def init_app(self, app):
        """Flask application initialisation of the API app."""
        super().init_app(app)
        register_service_unavailable_handlers(app)
