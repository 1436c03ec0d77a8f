"""The files part of a backup: the folders of the instance's local files locations.

invenio-files-rest keeps each file under its location's folder and stores the
file's full URI (location URI + relative path) in ``files_files``; a restore into
another folder therefore rewrites those URIs along with the location's.
"""

import hashlib
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import sqlalchemy as sa
from invenio_db import db
from invenio_files_rest.models import FileInstance, Location

CHUNK_BYTES = 1024 * 1024


def local_folder(uri):
    """Folder of a local files location URI; None for remote storage (s3://...)."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "":
        return Path(uri)
    return None


def files_locations():
    """Every files location, by name."""
    return Location.query.order_by(Location.name).all()


def files_under(folder):
    """Paths of the files below a folder, sorted (none if it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file())


def copy_with_checksum(source, target):
    """Copy a file (creating folders); returns its SHA-256, computed while copying."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(CHUNK_BYTES):
            digest.update(chunk)
            writer.write(chunk)
    shutil.copystat(source, target)
    return digest.hexdigest()


def sha256_of(path, on_chunk=None):
    """SHA-256 of a file; ``on_chunk(byte count)`` is told of every chunk read (for progress)."""
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK_BYTES):
            digest.update(chunk)
            if on_chunk:
                on_chunk(len(chunk))
    return digest.hexdigest()


def relocate(name, folder):
    """Point location ``name`` and the URIs of its files at ``folder`` (after a restore elsewhere).

    Their ``updated`` times are kept: the rows stay as they were backed up, only the place moved.
    """
    locations, files = Location.__table__, FileInstance.__table__
    old = db.session.execute(sa.select(locations.c.uri).where(locations.c.name == name)).scalar_one()
    old = old.rstrip("/")
    new = Path(folder).resolve().as_uri()
    moved = db.session.execute(
        files.update()
        .where(sa.func.left(files.c.uri, len(old) + 1) == old + "/")
        .values(uri=sa.func.concat(new, sa.func.substr(files.c.uri, len(old) + 1)), updated=files.c.updated)
    ).rowcount
    db.session.execute(
        locations.update().where(locations.c.name == name).values(uri=new, updated=locations.c.updated)
    )
    db.session.commit()
    return moved
