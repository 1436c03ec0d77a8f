"""Fixtures of the OAI-PMH tests: the registry's /oai2d served over real HTTP for sickle."""

import threading

import pytest
from sickle import Sickle
from werkzeug.serving import make_server

PAGE_SIZE = 4
"""Far fewer than the 21 demo models: every full harvest crosses several resumption tokens."""


@pytest.fixture(scope="module")
def app_config(app_config):
    """The registry's configuration with a small page size: paging is what these tests are about."""
    app_config.update(OAISERVER_PAGE_SIZE=PAGE_SIZE)
    return app_config


@pytest.fixture(scope="module")
def oai_url(app, database):
    """/oai2d of the application as configured, on a free loopback port, served by a background thread."""
    server = make_server("127.0.0.1", 0, app)
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
