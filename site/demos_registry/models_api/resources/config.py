"""Configuration of the ``/api/models`` resource: routes, error handlers, request limits."""

from typing import ClassVar

from flask_resources import ResourceConfig
from invenio_records_resources.services.base.config import ConfiguratorMixin, FromConfig

from .errors import ERROR_HANDLERS


class ModelsResourceConfig(ResourceConfig, ConfiguratorMixin):
    """Routes, errors and limits of ``/api/models``."""

    blueprint_name = "demos_models"
    url_prefix = "/models"
    routes: ClassVar[dict] = {
        "list": "",
        "search": "/search",
        "filter": "/filter",
        "golden": "/golden",
        "tags": "/tags",
        "status": "/status",
        "openapi": "/openapi.json",
        "docs": "/docs",
        "item": "/<pid_value>",
        "file": "/<pid_value>/file",
        "translation": "/<pid_value>/translation",
        "metadata": "/<pid_value>/metadata",
        "validate": "/<pid_value>/validate",
        "validation": "/<pid_value>/validation",
        "visualize": "/<pid_value>/visualize",
        "lineage": "/<pid_value>/lineage",
    }
    error_handlers = ERROR_HANDLERS

    max_upload_files = FromConfig("DEMOS_MODELS_API_MAX_UPLOAD_FILES", default=20)
    """Most files one ``POST /api/models`` may carry."""
