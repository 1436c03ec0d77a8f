"""Fault: PostgreSQL drops the app's connections (``pg_terminate_backend``, as on a restart).

The app of this module pools its connections like production (``pool_pre_ping``;
pytest-invenio's default NullPool would hide the problem). A connection killed between
requests is replaced unnoticed; one killed in the middle of creating a draft makes that
request a ``503`` JSON with nothing of the draft stored, and the next request works.
"""

import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from rest_helpers import create_draft, record_metadata
from werkzeug.http import parse_options_header

from demos_registry.config import SQLALCHEMY_ENGINE_OPTIONS


@pytest.fixture(scope="module")
def app_config(app_config):
    """The production connection pool."""
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = SQLALCHEMY_ENGINE_OPTIONS
    return app_config


@pytest.fixture(scope="module")
def admin_engine(db_uri):
    """A connection of the test's own, outside the app's pool, to kill the app's connections."""
    engine = sa.create_engine(db_uri, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def terminate(admin_engine, pids):
    """pg_terminate_backend of these server processes."""
    with admin_engine.begin() as connection:
        for pid in pids:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def pooled_backends(admin_engine):
    """Server processes of the idle connections to the test database: the app's pool.

    (Connections in a transaction belong to the test's own long-lived session, not to a request.)
    """
    with admin_engine.connect() as connection:
        return (
            connection.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
                )
            )
            .scalars()
            .all()
        )


def stored_rows(admin_engine, title):
    """(drafts with this title, persistent identifiers, parents) in the database."""
    with admin_engine.connect() as connection:
        return (
            connection.execute(
                sa.text("SELECT count(*) FROM rdm_drafts_metadata WHERE json->'metadata'->>'title' = :t"),
                {"t": title},
            ).scalar(),
            connection.execute(sa.text("SELECT count(*) FROM pidstore_pid")).scalar(),
            connection.execute(sa.text("SELECT count(*) FROM rdm_parents_metadata")).scalar(),
        )


@contextmanager
def connection_killed_before(admin_engine, statement_start):
    """Kill the app's connection when it is about to run a statement starting with statement_start."""
    killed = []

    def kill_own_backend(connection, cursor, statement, parameters, context, executemany):
        if not killed and statement.lstrip().upper().startswith(statement_start):
            pid = connection.connection.dbapi_connection.get_backend_pid()
            terminate(admin_engine, [pid])
            killed.append(pid)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", kill_own_backend)
    try:
        yield killed
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", kill_own_backend)


def test_pool_replaces_connections_killed_between_requests(admin_engine, client, api_headers):
    """All app connections terminated while idle → the next requests succeed (pre-ping)."""
    assert create_draft(client, api_headers, record_metadata("Before the restart")).status_code == 201
    backends = pooled_backends(admin_engine)
    assert backends, "the app should keep pooled connections"
    terminate(admin_engine, backends)
    draft = create_draft(client, api_headers, record_metadata("After the restart"))
    assert draft.status_code == 201, draft.json
    assert client.get(f"/api/records/{draft.json['id']}/draft", headers=api_headers).status_code == 200


def test_connection_dropped_mid_request_is_503_json_and_stores_nothing(admin_engine, client, api_headers):
    """Connection killed while the draft is inserted → 503 JSON, no row of it; a retry works."""
    title = f"Dropped connection draft {uuid.uuid4().hex[:8]}"
    before = stored_rows(admin_engine, title)

    with connection_killed_before(admin_engine, "INSERT INTO RDM_DRAFTS_METADATA") as killed:
        response = create_draft(client, api_headers, record_metadata(title))
    assert killed, "the draft insert did not run"
    assert response.status_code == 503, (response.status_code, response.data[:300])
    assert parse_options_header(response.headers["Content-Type"])[0] == "application/json"
    assert "database is unavailable" in response.json["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert stored_rows(admin_engine, title) == before

    retry = create_draft(client, api_headers, record_metadata(title))
    assert retry.status_code == 201, retry.json
    assert stored_rows(admin_engine, title)[0] == 1
