"""The Swagger UI page over the OpenAPI document, with its assets served by the registry itself."""

from pathlib import Path

import flask_swagger_ui
from flask import abort, current_app, render_template_string, send_from_directory

from .operations import api_url

OWN_STATIC = Path(__file__).parent.parent / "static"
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
SWAGGER_UI_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DEMOS Model Registry API</title>
<link rel="stylesheet" href="{{ static }}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{{ static }}/swagger-ui-bundle.js"></script>
<script src="{{ static }}/swagger-ui-init.js" data-spec-url="{{ spec_url }}"></script>
</body></html>
"""


def swagger_ui_page():
    """Swagger UI over the OpenAPI document (no inline script: the page passes CSP)."""
    page = render_template_string(
        SWAGGER_UI_PAGE,
        static=api_url("/models/docs/static"),
        spec_url=api_url("/models/openapi.json"),
    )
    return current_app.response_class(page, mimetype="text/html")


def docs_asset(filename):
    """Swagger UI's files (from the flask-swagger-ui package) and our start script."""
    for folder in (OWN_STATIC, SWAGGER_UI_DIST):
        if (folder / filename).is_file():
            return send_from_directory(folder, filename, max_age=3600)
    abort(404)
