"""Who holds an action is read from Redis once per request, and a grant or revocation is seen at once.

``ACCESS_CACHE`` is the registry's request-memoized cache (site/demos_registry/access_cache.py):
these tests hold it to invenio-access's contract with the real Redis and PostgreSQL.
"""

import threading
import uuid

from flask import current_app
from invenio_access.models import ActionUsers
from invenio_access.permissions import Permission, superuser_access
from invenio_access.proxies import current_access
from invenio_cache import current_cache
from invenio_db import db
from rest_helpers import identity_of

from demos_registry.access_cache import RequestMemoizedCache


def cache_key(action):
    """The key invenio-access keeps ``action`` under in the application cache."""
    return current_app.config["ACCESS_ACTION_CACHE_PREFIX"] + action


def test_the_app_reads_the_access_cache_through_the_request_memo(app):
    assert isinstance(current_access.cache, RequestMemoizedCache)


def test_a_key_is_read_once_per_request_and_always_outside_one(app):
    action = f"demos-test-{uuid.uuid4().hex[:8]}"
    current_cache.set(cache_key(action), "first")
    with app.test_request_context():
        assert current_access.get_action_cache(action) == "first"
        current_cache.set(cache_key(action), "second")  # another process's write
        assert current_access.get_action_cache(action) == "first", "read once per request"
    with app.test_request_context():
        assert current_access.get_action_cache(action) == "second", "the next request reads Redis"
    assert outside_any_request(app, action) == ["second", "third"], "no memo outside a request"


def outside_any_request(app, action):
    """Two reads of ``action`` in a task-like context (no request), Redis written between them."""
    seen = []

    def task():  # a thread starts with no request context, as a Celery task or CLI command does
        with app.app_context():
            seen.append(current_access.get_action_cache(action))
            current_cache.set(cache_key(action), "third")
            seen.append(current_access.get_action_cache(action))

    thread = threading.Thread(target=task)
    thread.start()
    thread.join()
    return seen


def test_writes_and_invalidations_reach_redis_and_the_request(app):
    action = f"demos-test-{uuid.uuid4().hex[:8]}"
    with app.test_request_context():
        assert current_access.get_action_cache(action) is None
        current_access.set_action_cache(action, "stored")
        assert current_access.get_action_cache(action) == "stored"
        assert current_cache.get(cache_key(action)) == "stored"
        current_access.delete_action_cache(action)
        assert current_access.get_action_cache(action) is None
        assert current_cache.get(cache_key(action)) is None


def test_a_grant_and_a_revocation_count_within_the_same_request(app, researcher):
    identity = identity_of(researcher)
    with app.test_request_context():
        assert not Permission(superuser_access).allows(identity)
        grant = ActionUsers.allow(superuser_access, user=researcher)
        db.session.add(grant)
        db.session.commit()
        try:
            assert Permission(superuser_access).allows(identity)
        finally:
            db.session.delete(grant)
            db.session.commit()
        assert not Permission(superuser_access).allows(identity)
    with app.test_request_context():
        assert not Permission(superuser_access).allows(identity)
