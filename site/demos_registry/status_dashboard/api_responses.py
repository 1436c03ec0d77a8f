"""Counts of the models API's answers by class, in five-minute buckets kept two days in Redis.

The dashboard's error rate is the share of 5xx answers among all answers of ``/api/models``
over the last hour or day. Counting must never cost a caller its answer: a Redis failure
leaves the count short and is logged.
"""

import time
from functools import lru_cache

import redis
from flask import current_app

BUCKET_SECONDS = 300
KEEP_SECONDS = 2 * 24 * 3600
KEY = "demos:api-responses:{}"


@lru_cache(maxsize=4)
def _client(url):
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def _redis():
    return _client(current_app.config["CACHE_REDIS_URL"])


def _bucket(timestamp):
    return int(timestamp // BUCKET_SECONDS)


def count_response(response):
    """``after_request`` hook: count this answer (total, and 4xx or 5xx)."""
    key = KEY.format(_bucket(time.time()))
    kind = f"{response.status_code // 100}xx"
    try:
        pipeline = _redis().pipeline(transaction=False)
        pipeline.hincrby(key, "total", 1)
        if kind in ("4xx", "5xx"):
            pipeline.hincrby(key, kind, 1)
        pipeline.expire(key, KEEP_SECONDS)
        pipeline.execute()
    except redis.RedisError as error:
        current_app.logger.warning("API answer not counted: %s", error)
    return response


def response_counts(seconds):
    """Answers, client errors (4xx) and server errors (5xx) of the last ``seconds``, and the error rate."""
    now = _bucket(time.time())
    pipeline = _redis().pipeline(transaction=False)
    for bucket in range(now - seconds // BUCKET_SECONDS + 1, now + 1):
        pipeline.hgetall(KEY.format(bucket))
    totals = {"total": 0, "4xx": 0, "5xx": 0}
    for counts in pipeline.execute():
        for name in totals:
            totals[name] += int(counts.get(name.encode(), 0))
    return {
        "requests": totals["total"],
        "client_errors": totals["4xx"],
        "server_errors": totals["5xx"],
        "error_rate": round(totals["5xx"] / totals["total"], 4) if totals["total"] else None,
    }
