"""A rate limit shared by all ``/api/models`` endpoints, per user (token) or per IP address.

It counts in Invenio's Flask-Limiter storage and strategy (``RATELIMIT_STORAGE_URI``,
``RATELIMIT_STRATEGY``, ``RATELIMIT_ENABLED``), on top of Invenio's application-wide
limits, with budgets of its own (``DEMOS_MODELS_API_RATELIMIT*``).
"""

import math
import time
from functools import wraps

from flask import current_app, request
from flask_login import current_user
from invenio_app.ext import limiter
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

SCOPE = "demos-models-api"


class RateLimited(TooManyRequests):
    """The caller used up one of its budgets; ``retry_after`` seconds until it refills."""

    def __init__(self, limit, retry_after):
        """Name the exhausted limit."""
        super().__init__(f"Rate limit exceeded ({limit}); retry after {retry_after} s.")
        self.retry_after = retry_after


def caller_key_and_limits():
    """Who is counted, and against which budget."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}", current_app.config["DEMOS_MODELS_API_RATELIMIT_AUTHENTICATED"]
    return f"ip:{request.remote_addr}", current_app.config["DEMOS_MODELS_API_RATELIMIT"]


def enforce_rate_limit():
    """Count this request; raise RateLimited when a budget is used up."""
    if not limiter.enabled or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    key, limits = caller_key_and_limits()
    strategy = limiter.limiter
    for item in parse_many(limits):
        if not strategy.hit(item, SCOPE, key):
            reset_time = strategy.get_window_stats(item, SCOPE, key).reset_time
            raise RateLimited(item, retry_after_seconds(reset_time))


def retry_after_seconds(reset_time):
    """Seconds until the caller may try again, as the ``Retry-After`` header will say.

    Flask-Limiter (Invenio's application-wide limits, ``RATELIMIT_HEADERS_ENABLED``) sets
    ``Retry-After`` on the way out to the later of the answer's own value and the reset of the
    request's current application-wide window; the message names the same number.
    """
    application_wide = limiter.current_limit if current_app.config.get("RATELIMIT_HEADERS_ENABLED") else None
    if application_wide is not None:
        reset_time = max(reset_time, application_wide.reset_at)
    return max(1, math.ceil(reset_time - time.time()))


def rate_limited(view):
    """Decorate a view with the API's rate limit."""

    @wraps(view)
    def limited_view(*args, **kwargs):
        enforce_rate_limit()
        return view(*args, **kwargs)

    return limited_view
