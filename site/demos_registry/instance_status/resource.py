"""``/api/health``, ``/api/info`` and ``/api/version``: documented in the models API's OpenAPI document."""

from typing import ClassVar

from flask import g
from flask_resources import ResourceConfig
from invenio_records_resources.services.base.config import ConfiguratorMixin

from ..models_api.resources.errors import ERROR_HANDLERS
from ..models_api.resources.operations import OperationsResource, api_url, json_response, operation
from ..models_api.services.schemas import dump
from .checks import health
from .schemas import HealthSchema, InfoSchema, VersionSchema
from .status import info, versions


class InstanceStatusResourceConfig(ResourceConfig, ConfiguratorMixin):
    """Routes of the registry's health, info and version endpoints."""

    blueprint_name = "demos_system"
    url_prefix = ""
    routes: ClassVar[dict] = {"health": "/health", "info": "/info", "version": "/version"}
    error_handlers = ERROR_HANDLERS


class InstanceStatusResource(OperationsResource):
    """Health, info and version; ``service`` is the models service (the models counted by info)."""

    def operations(self):
        """(HTTP method, route, view) of every endpoint."""
        routes = self.config.routes
        return [
            ("GET", routes["health"], self.health),
            ("GET", routes["info"], self.info),
            ("GET", routes["version"], self.version),
        ]

    @operation(
        "Health of the registry and its services",
        {200: HealthSchema, 503: HealthSchema},
        tags=("system",),
        description="Database, search, broker, worker and storage, each checked; 503 if any is down.",
    )
    def health(self):
        """Each component's state."""
        report = health()
        return json_response(dump(HealthSchema, report), 200 if report["status"] == "ok" else 503)

    @operation("What this registry is", {200: InfoSchema}, tags=("system",))
    def info(self):
        """Name, versions, model counts and API links."""
        return json_response(dump(InfoSchema, info(g.identity, self.service, api_url)))

    @operation("Versions", {200: VersionSchema}, tags=("system",))
    def version(self):
        """Registry, API and InvenioRDM versions."""
        return json_response(dump(VersionSchema, versions()))
