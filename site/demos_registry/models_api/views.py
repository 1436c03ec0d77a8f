"""The ``/api/models`` blueprint (entry point ``invenio_base.api_blueprints``): the resource and its docs assets."""

from flask import Blueprint

from ..status_dashboard.api_responses import count_response
from .resources.docs import docs_asset


def create_blueprint(app):
    """``/api/models`` from the resource the extension built, and the Swagger UI assets.

    Every answer is counted for the status dashboard's error rate.
    """
    blueprint = Blueprint("demos_api", __name__)
    blueprint.after_request(count_response)
    blueprint.register_blueprint(app.extensions["demos-registry"].models_resource.as_blueprint())
    blueprint.add_url_rule("/models/docs/static/<path:filename>", "docs_asset", docs_asset)
    return blueprint
