"""invenio-access's action cache, read from Redis once per HTTP request (``ACCESS_CACHE``).

Every permission that names an action (superuser access, administration, …) asks the access
cache who holds it: a Redis round trip per check. A search dumps each of its hits with
several field permission checks, so one ``/api/records`` search asked Redis for the same few
keys a hundred times: ~20 % of its time, and as much of a landing page's (py-spy,
benchmarks/README.md). Within one request the answers are now kept with the request (its WSGI environ, not
``flask.g``, which a request shares with an application context pushed before it):

- a write (``set``) goes to Redis and replaces the request's copy; invenio-access's
  invalidation (``delete``, when an action is granted or revoked) drops it;
- the next request reads Redis again, so a grant made elsewhere is seen from then on, as
  before (a request already running could equally have read the key just before it);
- outside a request (Celery tasks, CLI commands, which may run for hours) every read goes to
  Redis as before.
"""

from flask import has_request_context, request
from invenio_cache import current_cache

_MISSING = object()


class RequestMemoizedCache:
    """The application cache, with each key read at most once per request."""

    @staticmethod
    def _memo():
        """The request's copies of what it read (None outside a request)."""
        if not has_request_context():
            return None
        return request.environ.setdefault("demos.access_cache", {})

    def get(self, key):
        """The cached value of ``key`` (None if not cached), from Redis once per request."""
        memo = self._memo()
        if memo is None:
            return current_cache.get(key)
        value = memo.get(key, _MISSING)
        if value is _MISSING:
            value = memo[key] = current_cache.get(key)
        return value

    def set(self, key, value, timeout=None):
        """Store ``value`` in Redis and in the request's copy."""
        result = current_cache.set(key, value, timeout=timeout)
        memo = self._memo()
        if memo is not None:
            memo[key] = value
        return result

    def delete(self, key):
        """Drop ``key`` from Redis and from the request's copy."""
        memo = self._memo()
        if memo is not None:
            memo.pop(key, None)
        return current_cache.delete(key)


access_cache = RequestMemoizedCache()
