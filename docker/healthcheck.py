"""Health checks of the registry's containers (docker-compose.yml `healthcheck:`).

    python docker/healthcheck.py http URL   # web: URL answers 2xx (invenio_app's /ping)
    python docker/healthcheck.py broker     # beat: the Celery broker accepts a connection

Exit status 0 when healthy, 1 otherwise (with the reason on stderr). Standard
library and kombu only (no app import), so a check costs a fraction of a second.
The worker's check is `celery inspect ping` itself (see docker-compose.yml).
"""

import os
import sys
import urllib.error
import urllib.request


def check_http(url):
    """The URL answers with a 2xx status within 5 seconds (redirects not followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        return f"{url}: {error}"
    return None if 200 <= status < 300 else f"{url}: HTTP {status}"


def check_broker():
    """A connection to INVENIO_BROKER_URL can be opened."""
    from kombu import Connection

    url = os.environ.get("INVENIO_BROKER_URL")
    if not url:
        return "INVENIO_BROKER_URL is not set"
    try:
        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:  # kombu raises transport-specific errors
        return f"broker: {error}"
    return None


def main(argv):
    """Run the check named in argv[1]."""
    if len(argv) == 3 and argv[1] == "http":
        problem = check_http(argv[2])
    elif len(argv) == 2 and argv[1] == "broker":
        problem = check_broker()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
