"""Gunicorn settings of the `web` service (docker-compose.yml).

Serves ``invenio_app.wsgi:application``: the UI with the REST API mounted at
/api, in one process, as ``scripts/run`` does. nginx (the `frontend` service)
terminates TLS in front of it and passes X-Forwarded-For/-Proto, which the app
trusts through INVENIO_PROXYFIX_CONFIG.

Threaded workers (gthread): the worker's heartbeat runs beside the request
threads, so a multi-gigabyte model upload streamed through nginx
(proxy_request_buffering off) is not killed by the worker timeout, and a slow
client holds one thread, not a whole process.

Tunable from the environment: GUNICORN_WORKERS (default 4), GUNICORN_THREADS
(default 4), GUNICORN_TIMEOUT (default 120 s).
"""

import os

bind = "0.0.0.0:5000"
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 75  # longer than nginx's upstream keepalive_timeout (60 s)

# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# Heartbeat files in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"

# Logs to the container's stdout/stderr (docker compose logs web).
accesslog = "-"
errorlog = "-"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(L)ss "%(a)s" %({x-request-id}i)s'
