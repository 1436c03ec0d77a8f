"""The PostgreSQL part of a backup: pg_dump and pg_restore of the configured database.

The dump is pg_dump's custom format (compressed, restorable table by table) taken
by the client of the server's major version: an older pg_dump refuses a newer
server, and Debian keeps one client per major version in /usr/lib/postgresql/.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa
from invenio_accounts.models import User
from invenio_communities.communities.records.models import CommunityMetadata
from invenio_db import db
from invenio_files_rest.models import FileInstance
from invenio_rdm_records.records.api import RDMDraft, RDMRecord
from sqlalchemy.engine import make_url


class DatabaseError(Exception):
    """A dump or restore that cannot be done; the message says what to do."""


COUNTED = {
    "records": RDMRecord.model_cls,
    "drafts": RDMDraft.model_cls,
    "files": FileInstance,
    "users": User,
    "communities": CommunityMetadata,
}
"""What the manifest counts (rows of these tables), to compare a restore with its backup."""


def instance_counts():
    """Rows of the counted tables in the configured database."""
    return {
        name: db.session.query(sa.func.count()).select_from(model).scalar() for name, model in COUNTED.items()
    }


def server_major_version():
    """Major version of the configured PostgreSQL server (e.g. 15)."""
    return int(db.session.execute(sa.text("SHOW server_version_num")).scalar()) // 10000


def table_names():
    """Tables of the configured database (an empty list for an empty one)."""
    return sa.inspect(db.engine).get_table_names()


def client_program(name, server_major):
    """Path of pg_dump/pg_restore of at least the server's major version."""
    found = []
    for candidate in (Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"), shutil.which(name)):
        if not candidate or not Path(candidate).is_file():
            continue
        output = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=True).stdout
        major = int(re.search(r"\)\s*(\d+)", output).group(1))  # "pg_dump (PostgreSQL) 15.20 ..."
        if major >= server_major:
            return str(candidate)
        found.append(f"{candidate} is version {major}")
    raise DatabaseError(
        f"no {name} for PostgreSQL {server_major} ({'; '.join(found) or 'none on PATH'}): install the "
        f"client of the server's version (Debian/Ubuntu: apt-get install postgresql-client-{server_major})"
    )


def libpq_target(uri):
    """(connection URI without password, environment with PGPASSWORD) for the PostgreSQL clients.

    The password goes through the environment so that it does not show in the process list.
    """
    url = make_url(uri)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = url.password
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return target, environment


def run_client(command, environment, action):
    """Run a PostgreSQL client; a failure becomes a DatabaseError with its messages."""
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DatabaseError(f"{action} failed: {result.stderr.strip() or result.stdout.strip()}")


def dump_database(uri, path, server_major):
    """Dump the whole database to ``path`` (custom format, without owners or grants)."""
    target, environment = libpq_target(uri)
    command = [
        client_program("pg_dump", server_major),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={path}",
        f"--dbname={target}",
    ]
    run_client(command, environment, "pg_dump")


def empty_schema():
    """Drop every table of the configured database (the public schema), keeping the database."""
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    db.engine.dispose()


def restore_database(uri, path, server_major):
    """Load a dump into the (empty) database, in one transaction: all of it or nothing."""
    db.session.remove()
    db.engine.dispose()
    target, environment = libpq_target(uri)
    command = [
        client_program("pg_restore", server_major),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={target}",
        str(path),
    ]
    run_client(command, environment, "pg_restore")
    db.engine.dispose()
