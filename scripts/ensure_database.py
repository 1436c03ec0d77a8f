"""Create a role and database for the registry on a PostgreSQL server.

Prints the SQLAlchemy URL of the database on success and exits non-zero when it
may not create them, so the calling script can fall back or explain.

    python scripts/ensure_database.py NAME
        on localhost:5432 as a superuser that trusts local connections (postgres or
        the current user); role NAME with password NAME owns database NAME.
    python scripts/ensure_database.py NAME --server URL
        on the server of the SQLAlchemy URL (e.g. the embedded server), as its user.
"""

import argparse
import getpass
import sys

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url


def connect(dsn):
    """An autocommit connection (CREATE DATABASE refuses transactions)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def local_superuser_connection():
    """Connect to localhost:5432 as postgres or as ourselves."""
    errors = []
    for user in ("postgres", getpass.getuser()):
        try:
            return connect(f"host=127.0.0.1 port=5432 user={user} dbname=postgres")
        except psycopg2.OperationalError as error:
            errors.append(f"{user}: {str(error).strip()}")
    sys.exit("no superuser access to localhost:5432 (" + "; ".join(errors) + ")")


def ensure(cur, name, owner=None):
    """Create database NAME (and role NAME when owner is None) if missing."""
    if owner is None:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
        if not cur.fetchone():
            cur.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD %s").format(sql.Identifier(name)),
                (name,),
            )
        owner = name
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if not cur.fetchone():
        cur.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner))
        )


def main():
    """Parse arguments, create what is missing, print the URL."""
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--server", help="SQLAlchemy URL of a server we may create databases on")
    args = parser.parse_args()
    if args.server:
        url = make_url(args.server)
        conn = connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        with conn.cursor() as cur:
            ensure(cur, args.name, owner=url.username)
        conn.close()
        print(url.set(database=args.name).render_as_string(hide_password=False))
        return
    conn = local_superuser_connection()
    with conn.cursor() as cur:
        ensure(cur, args.name)
    conn.close()
    print(f"postgresql+psycopg2://{args.name}:{args.name}@127.0.0.1:5432/{args.name}")


if __name__ == "__main__":
    main()
