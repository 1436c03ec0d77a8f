"""Fixtures of the OAI-PMH tests: the registry's /oai2d served over real HTTP for sickle."""

import threading

import pytest
from demos_registry.oai.server import install_harvest_view
from demos_registry.oai.sets import ensure_domain_oai_sets
from sickle import Sickle
from werkzeug.serving import make_server

PAGE_SIZE = 4
"""Far fewer than the 21 demo models: every full harvest crosses several resumption tokens."""


@pytest.fixture(scope="module")
def app_config(app_config):
    """The registry's OAI-PMH settings (oai/config.py) with a small page size."""
    app_config.update(
        OAISERVER_PAGE_SIZE=PAGE_SIZE,
        OAISERVER_RECORD_SETS_FETCHER="demos_registry.oai.sets:find_sets_for_record",
        OAISERVER_REGISTER_SET_SIGNALS=False,
    )
    return app_config


@pytest.fixture(scope="module")
def oai_app(app, database):
    """The application with the registry's /oai2d view and the domain sets."""
    install_harvest_view(app)
    ensure_domain_oai_sets()
    return app


@pytest.fixture(scope="module")
def oai_url(oai_app):
    """/oai2d on a free loopback port, served by a background thread."""
    server = make_server("127.0.0.1", 0, oai_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/oai2d"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture()
def harvester(oai_url):
    """A sickle client of the registry."""
    return Sickle(oai_url, max_retries=0, timeout=60)
