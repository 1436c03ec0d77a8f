"""Health of the registry: each service it depends on, checked for real and with a time limit."""

import tempfile
import time
from urllib.parse import urlparse

from celery import current_app as current_celery
from flask import current_app
from invenio_db import db
from invenio_files_rest.models import Location
from invenio_search.proxies import current_search_client
from sqlalchemy import text


def check_database():
    """The database answers a query."""
    db.session.execute(text("SELECT 1"))
    return "PostgreSQL answered"


def check_search():
    """The search cluster answers."""
    if not current_search_client.ping():
        raise ConnectionError("search cluster did not answer the ping")
    return "search cluster answered"


def check_broker():
    """The Celery broker accepts a connection."""
    timeout = current_app.config["DEMOS_MODELS_API_HEALTH_TIMEOUT"]
    with current_celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
    return "broker reachable"


def check_worker():
    """At least one Celery worker answers a ping."""
    timeout = current_app.config["DEMOS_MODELS_API_HEALTH_TIMEOUT"]
    # ``limit=1``: done at the first reply (``inspect().ping()`` waits out the whole timeout).
    replies = current_celery.control.ping(timeout=timeout, limit=1) or []
    if not replies:
        raise ConnectionError(f"no Celery worker answered within {timeout} s")
    return "a worker answered the ping"


def check_storage():
    """The default files location exists and, when local, takes a new file."""
    location = Location.get_default()
    if location is None:
        raise LookupError("no default files location")
    url = urlparse(location.uri)
    if url.scheme not in ("", "file"):
        return f"{url.scheme} location configured (remote storage is not probed)"
    with tempfile.NamedTemporaryFile(dir=url.path, prefix=".health-"):
        pass
    return f"{url.path} writable"


CHECKS = {
    "db": check_database,
    "search": check_search,
    "broker": check_broker,
    "worker": check_worker,
    "storage": check_storage,
}


def run_check(check):
    """Status, detail and duration of one check; an exception means the component is down."""
    started = time.perf_counter()
    try:
        detail, status = check(), "ok"
    except Exception as error:
        if check is check_database:
            db.session.rollback()
        detail, status = f"{type(error).__name__}: {error}", "error"
    return {"status": status, "detail": detail, "seconds": round(time.perf_counter() - started, 4)}


def health():
    """Every component's state and the overall one (ok only if all are)."""
    components = {name: run_check(check) for name, check in CHECKS.items()}
    status = "ok" if all(c["status"] == "ok" for c in components.values()) else "error"
    return {"status": status, "components": components}
