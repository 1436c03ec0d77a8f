"""How the registry's /oai2d view is put in place of Invenio's."""

from flask import Flask
from invenio_base.signals import app_loaded

from demos_registry.oai.server import OAI_ENDPOINT, harvest_response, init_oai_server, install_harvest_view


def test_view_is_swapped_once_the_app_has_loaded_its_blueprints():
    """init_oai_server (extension init) → the endpoint serves harvest_response after app_loaded."""
    app = Flask("wiring")
    init_oai_server(app)
    app.add_url_rule("/oai2d", endpoint=OAI_ENDPOINT, view_func=lambda: "invenio")
    app_loaded.send(None, app=app)
    assert app.view_functions[OAI_ENDPOINT] is harvest_response
    assert app.url_map.bind("localhost").match("/oai2d")[0] == OAI_ENDPOINT


def test_oai_errors_are_http_200():
    """An OAI-PMH error document is a 200; other endpoints keep their status."""
    app = Flask("errors")
    app.add_url_rule("/oai2d", endpoint=OAI_ENDPOINT, view_func=lambda: ("<error/>", 422))
    app.add_url_rule("/api/other", endpoint="other", view_func=lambda: ("{}", 422))
    install_harvest_view(app)
    app.view_functions[OAI_ENDPOINT] = lambda: ("<error/>", 422)
    client = app.test_client()
    assert client.get("/oai2d").status_code == 200
    assert client.get("/api/other").status_code == 422
