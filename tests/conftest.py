"""Fixtures of the registry's test suite: a real instance, not a mock.

The demo models of app_data/ are published at the start, as scripts/run does.
The suite runs against a real PostgreSQL database (``demos_test``, emptied at the
start of each session), a real search server (osmem-server from its pytest plugin)
and Redis, through pytest-invenio's application fixtures. The instance is set up
exactly as ``scripts/run`` sets it up (``setup_instance``: tables, indices,
vocabularies and communities from app_data/), once per session; later modules find
it ready. Tests therefore commit for real and create uniquely named data.

Under pytest-xdist (``scripts/test`` runs the whole suite with ``-n 2 --dist loadfile``)
each worker process is an instance of its own: its own database (``<name>_gw<N>``),
Redis databases and osmem-server, so that no test sees another worker's data.
"""

import os
import shutil
import tempfile
import threading
from pathlib import Path

# Before the registry's config module is imported: the suite runs on osmem-server.
os.environ.setdefault("INVENIO_DEMOS_EMBEDDED_SEARCH", "True")

import pytest
import sqlalchemy as sa
from invenio_app.factory import create_app as create_invenio_app
from invenio_db import db as invenio_db
from rest_helpers import TEST_PASSWORD, user_with_token
from werkzeug.serving import make_server

from demos_registry.cli.setup import setup_instance

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = REPO.parent / "shared" / "models"
DEFAULT_TEST_DATABASE = "postgresql+psycopg2://demos:demos@127.0.0.1:5432/demos_test"
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
"""pytest-xdist's name of this worker process (gw0, gw1, ...); empty without xdist."""
WORKER_NUMBER = int(XDIST_WORKER.removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def shared_models():
    """The public likelihoods in ../shared/models (beside the repository)."""
    assert SHARED_MODELS.is_dir(), f"{SHARED_MODELS} is missing: shared/ must sit beside the repo"
    return SHARED_MODELS


def worker_database(uri):
    """The xdist worker's own database beside the given one (created when missing); uri without xdist."""
    if not XDIST_WORKER:
        return uri
    url = sa.engine.make_url(uri)
    name = f"{url.database}_{XDIST_WORKER}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses transactions
    with engine.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists.scalar():
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def test_database_uri():
    """The test database (this worker's own under xdist), emptied once per session."""
    uri = worker_database(os.environ.get("SQLALCHEMY_DATABASE_URI", DEFAULT_TEST_DATABASE))
    engine = sa.create_engine(uri)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return uri


@pytest.fixture(scope="session")
def test_instance_path():
    """An instance folder with the project's app_data and templates linked in."""
    path = Path(tempfile.mkdtemp(prefix="demos-test-instance-"))
    for item in ("app_data", "templates"):
        (path / item).symlink_to(REPO / item)
    (path / "data").mkdir()
    static = os.environ.get("DEMOS_TEST_STATIC_FOLDER", str(REPO / "var/instance/static"))
    os.environ["INVENIO_INSTANCE_PATH"] = str(path)
    os.environ["INVENIO_STATIC_FOLDER"] = static
    yield path
    shutil.rmtree(path)


@pytest.fixture(scope="module")
def instance_path(test_instance_path):
    """pytest-invenio's instance folder, shared by all modules of a session."""
    return str(test_instance_path)


@pytest.fixture(scope="module")
def db_uri(test_database_uri):
    """pytest-invenio's database URI: the real PostgreSQL test database."""
    return test_database_uri


def hosts_of(server):
    """SEARCH_HOSTS of an osmem-server."""
    host, port = server.url.split("//", 1)[1].rstrip("/").split(":")
    return [{"host": host, "port": int(port)}]


@pytest.fixture(scope="module")
def search_hosts(osmem_server):
    """pytest-invenio's search hosts: the session's osmem-server."""
    return hosts_of(osmem_server)


REDIS = os.environ.get("INVENIO_REDIS_URL", "redis://localhost:6379").rstrip("/")
TEST_REDIS_DB = int(os.environ.get("DEMOS_TEST_REDIS_DB", "8")) + 2 * WORKER_NUMBER
"""Redis database of the tests (the next one is their broker), apart from scripts/run's 0-5,
so that the suite can run beside a running registry (or another suite with another value);
xdist worker N takes the pair 2N further on."""
SUITE_BROKER = os.environ.get("BROKER_URL", f"{REDIS}/{TEST_REDIS_DB + 1}")


TEST_ENGINE_OPTIONS = {
    # pytest-invenio's NullPool opened a PostgreSQL connection per transaction (a tenth of the
    # set-up's time); a small pool per module's app instead, closed when the module ends.
    "pool_size": 2,
    "max_overflow": 8,
    "pool_pre_ping": True,
    # Tests need no durability: a commit does not wait for the WAL to reach the disk.
    "connect_args": {"options": "-c synchronous_commit=off"},
}


def suite_settings(broker_uri):
    """The registry's configuration with test-friendly transport settings (every module's app)."""
    test_redis = f"{REDIS}/{TEST_REDIS_DB}"
    return dict(
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=test_redis,
        ACCOUNTS_SESSION_REDIS_URL=test_redis,
        RATELIMIT_STORAGE_URI=test_redis,
        COMMUNITIES_IDENTITIES_CACHE_REDIS_URL=test_redis,
        IIIF_CACHE_REDIS_URL=test_redis,
        CELERY_BROKER_URL=broker_uri,
        QUEUES_BROKER_URL=broker_uri,
        SESSION_COOKIE_SECURE=False,
        SITE_UI_URL="http://localhost",
        SITE_API_URL="http://localhost/api",
        THEME_FRONTPAGE=False,
        # Owners publish directly here, to exercise publication in every test without a
        # curator; the registry's review-by-default is tested in test_review_policy.py.
        RDM_COMMUNITY_REQUIRED_TO_PUBLISH=False,
        SQLALCHEMY_ENGINE_OPTIONS=TEST_ENGINE_OPTIONS,
    )


def set_up(instance_path, demo_models):
    """``setup_instance`` as ``invenio demos setup`` calls it, in the current app."""
    setup_instance(
        admin_email="admin@demos.local",
        password_file=Path(instance_path) / "admin-password",
        files_path=Path(instance_path) / "data",
        curator_email="curator@demos.local",
        demo_models=demo_models,
    )


@pytest.fixture(scope="session")
def suite_instance(test_database_uri, test_instance_path, osmem_server):
    """The session's instance, set up once with the suite's own settings and none of a module's.

    Modules change settings for their tests (a 64 KB file limit, S3 storage, a DataCite
    stand-in); the module that happened to come first (any module, under xdist) imported the
    demo models under its own (FileSizeError in every test of tests/security/test_hostile_api.py).
    DEMOS_TEST_SKIP_DEMO_MODELS=1 leaves the 21 demo models out (saves ~3 minutes when
    iterating on tests that create their own records); the full suite imports them.
    """
    app = create_invenio_app(
        # pytest-invenio's test settings (its app_config fixture is per module).
        TESTING=True,
        SECRET_KEY="test-secret-key",
        SECURITY_PASSWORD_SALT="test-secret-key",
        MAIL_SUPPRESS_SEND=True,
        RATELIMIT_ENABLED=False,
        WTF_CSRF_ENABLED=False,
        CELERY_TASK_ALWAYS_EAGER=True,
        CELERY_TASK_EAGER_PROPAGATES_EXCEPTIONS=True,
        CELERY_CACHE_BACKEND="memory",
        CELERY_RESULT_BACKEND="cache",
        BROKER_URL=SUITE_BROKER,
        SQLALCHEMY_DATABASE_URI=test_database_uri,
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SEARCH_HOSTS=hosts_of(osmem_server),
        **suite_settings(SUITE_BROKER),
    )
    demo_models = None
    if not os.environ.get("DEMOS_TEST_SKIP_DEMO_MODELS"):
        demo_models = test_instance_path / "app_data" / "demo_models"
    with app.app_context():
        set_up(test_instance_path, demo_models)
        invenio_db.session.remove()
        invenio_db.engine.dispose()


@pytest.fixture(scope="module")
def broker_uri():
    """Celery broker: Redis (tasks run eagerly, but indexer queues need a broker)."""
    return SUITE_BROKER


@pytest.fixture(scope="module")
def app_config(app_config, broker_uri, suite_instance):
    """The registry's configuration with test-friendly transport settings, once the instance is set up."""
    app_config.update(suite_settings(broker_uri))
    return app_config


@pytest.fixture(scope="module")
def create_app(instance_path):
    """The combined UI + REST application, as served in production."""
    return create_invenio_app


@pytest.fixture(scope="module")
def database(appctx, instance_path):
    """The instance's database as the module's app finds it (a search server of the module's own is filled)."""
    set_up(instance_path, demo_models=None)
    yield invenio_db
    invenio_db.session.remove()
    invenio_db.engine.dispose()  # the module's pool (TEST_ENGINE_OPTIONS)


@pytest.fixture(scope="module")
def search(database):
    """Indices are created by the instance set-up."""
    yield


@pytest.fixture(scope="module")
def researcher(app):
    """A confirmed user with a personal access token, as a physicist would have."""
    user, token = user_with_token(
        "researcher@demos.test", "researcher", full_name="Ada Researcher", scopes=["user:email"]
    )
    user.test_password = TEST_PASSWORD
    user.test_token = token
    return user


@pytest.fixture()
def api_headers(researcher):
    """JSON headers with the researcher's bearer token."""
    return {
        "Authorization": f"Bearer {researcher.test_token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


@pytest.fixture(scope="module")
def curator_headers(app):
    """JSON headers of the curator account the set-up creates (curates every domain community)."""
    token = user_with_token("curator@demos.local", "curator")[1]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.fixture()
def logged_in_client(client, researcher):
    """A test client with the researcher logged in through the login form."""
    response = client.post(
        "/login/",
        data={"email": researcher.email, "password": researcher.test_password},
        follow_redirects=False,
    )
    assert response.status_code in (200, 302), response.data[:500]
    return client


@pytest.fixture(scope="module")
def api_app(app):
    """The REST application mounted under /api (its config is the one the API reads)."""
    wsgi = app.wsgi_app
    while not hasattr(wsgi, "mounts"):
        wsgi = wsgi.app
    return wsgi.mounts["/api"]


@pytest.fixture(scope="module")
def live_api(app):
    """The app served over HTTP on a free loopback port, for the length of the module.

    Anonymous calls go through it: a fresh HTTP request, as a script without a token makes.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()
    thread.join(timeout=10)
