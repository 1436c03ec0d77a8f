"""Routes of ``/api/communities/<id or slug>/validation-policy``."""

from typing import ClassVar

from flask_resources import ResourceConfig
from invenio_records_resources.services.base.config import ConfiguratorMixin

from .errors import ERROR_HANDLERS


class ValidationPolicyResourceConfig(ResourceConfig, ConfiguratorMixin):
    """Routes and errors of a community's validation policy."""

    blueprint_name = "demos_validation_policies"
    url_prefix = "/communities/<pid_value>/validation-policy"
    routes: ClassVar[dict] = {
        "item": "",
        "versions": "/versions",
        "version": "/versions/<int:version>",
        "restore": "/versions/<int:version>/restore",
        "revalidate": "/revalidate",
    }
    error_handlers = ERROR_HANDLERS
