"""The API blueprint (entry point ``invenio_base.api_blueprints``): resources, docs assets, settings."""

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, abort, send_from_directory

from . import config
from .resource import resources

OWN_STATIC = Path(__file__).parent / "static"
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


def init_config(app):
    """Defaults of the API's settings (``demos_registry.config`` and INVENIO_* env override them)."""
    for name in dir(config):
        if name.startswith("DEMOS_MODELS_API_"):
            app.config.setdefault(name, getattr(config, name))


def docs_asset(filename):
    """Swagger UI's files (from the flask-swagger-ui package) and our start script."""
    for folder in (OWN_STATIC, SWAGGER_UI_DIST):
        if (folder / filename).is_file():
            return send_from_directory(folder, filename, max_age=3600)
    abort(404)


def create_blueprint(app):
    """``/api/models``, ``/api/health``, ``/api/info``, ``/api/version`` and the Swagger UI assets."""
    init_config(app)
    blueprint = Blueprint("demos_api", __name__)
    for resource in resources():
        blueprint.register_blueprint(resource.as_blueprint())
    blueprint.add_url_rule("/models/docs/static/<path:filename>", "docs_asset", docs_asset)
    return blueprint
