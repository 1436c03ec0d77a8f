"""Back up an instance into a folder and restore it from one.

Layout of a backup folder::

    database.dump      pg_dump custom format of SQLALCHEMY_DATABASE_URI
    files/<location>/  copy of each local files location's folder
    secrets.env        SECRET_KEY, salts, ... as INVENIO_* lines (mode 0600)
    manifest.json      counts, locations, size and SHA-256 of every file above

The database is dumped before the files are copied: every file the dump refers to
is then in the copy (a file uploaded meanwhile is an unreferenced extra). The
manifest is written last, so a folder without one is an unfinished backup.
A restore checks every checksum before it changes anything.
"""

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from invenio_search.proxies import current_search

from ..cli.setup import ensure_indices, progress, put_custom_field_mappings, reindex_everything
from .database import (
    DatabaseError,
    client_program,
    dump_database,
    empty_schema,
    instance_counts,
    restore_database,
    server_major_version,
    table_names,
)
from .files import copy_with_checksum, files_locations, files_under, local_folder, relocate, sha256_of
from .instance_secrets import differing_secrets, instance_secrets, write_secrets

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
SECRETS = "secrets.env"
FILES = "files"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do next."""


@dataclass
class RestoreResult:
    """What a restore brought back, to compare with the manifest."""

    manifest: dict
    counts: dict
    differing_secrets: list
    seconds: float


def entry(folder, path, sha256):
    """The manifest line of one backed-up file."""
    return {"path": path.relative_to(folder).as_posix(), "size": path.stat().st_size, "sha256": sha256}


def database_uri():
    """The database the instance is configured with."""
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def checked_locations():
    """The files locations, all local folders (remote storage is backed up by its own means)."""
    locations = files_locations()
    remote = [location for location in locations if local_folder(location.uri) is None]
    if remote:
        names = ", ".join(f"{location.name} ({location.uri})" for location in remote)
        raise BackupError(
            f"files location {names} is not a local folder: this command copies local folders only. "
            "Back the bucket up with the storage's own means (bucket versioning and replication, or "
            "`aws s3 sync`), see docs/operations.md, and back the database up with pg_dump."
        )
    return locations


def copy_location(location, backup_folder):
    """Copy one location's folder into the backup; returns the manifest lines of its files."""
    source = local_folder(location.uri)
    paths = files_under(source)
    entries = []
    with click.progressbar(
        paths, label=f"    files: {location.name}", show_pos=True, item_show_func=lambda _: None
    ) as bar:
        for path in bar:
            target = backup_folder / FILES / location.name / path.relative_to(source)
            entries.append(entry(backup_folder, target, copy_with_checksum(path, target)))
    return entries


def backup_instance(folder):
    """Back the instance up into a new (or empty) folder; returns the manifest."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(
            f"{folder} is not empty: give a new folder for each backup (e.g. backups/$(date +%F))"
        )
    locations = checked_locations()
    server_major = server_major_version()
    client_program("pg_dump", server_major)
    started = time.monotonic()
    counts = instance_counts()
    folder.mkdir(parents=True, exist_ok=True)

    progress("database: dumping (pg_dump, custom format)")
    dump = folder / DUMP
    try:
        dump_database(database_uri(), dump, server_major)
    except DatabaseError as error:
        raise BackupError(f"{error}; check that the database is reachable and retry") from None
    entries = [entry(folder, dump, sha256_of(dump))]
    progress(f"database: {entries[0]['size'] / 1e6:.1f} MB")

    for location in locations:
        entries += copy_location(location, folder)

    secrets = instance_secrets()
    write_secrets(folder / SECRETS, secrets)
    entries.append(entry(folder, folder / SECRETS, sha256_of(folder / SECRETS)))
    progress(f"secrets: {', '.join(secrets)}")

    manifest = {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(),
        "database": {"file": DUMP, "server_major_version": server_major},
        "locations": [
            {
                "name": location.name,
                "uri": location.uri,
                "default": location.default,
                "folder": f"{FILES}/{location.name}",
            }
            for location in locations
        ],
        "counts": counts,
        "secrets": list(secrets),
        "files": entries,
        "seconds": round(time.monotonic() - started, 1),
    }
    staging = folder / f".{MANIFEST}.partial"
    staging.write_text(json.dumps(manifest, indent=1))
    staging.rename(folder / MANIFEST)
    return manifest


def read_manifest(folder):
    """The manifest of a finished backup."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{path} is missing: {folder} is not a finished backup; restore from another backup folder"
        )
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise BackupError(f"{path} is not valid JSON ({error}): restore from another backup folder") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path} has format {manifest.get('format')!r}; this registry reads format {FORMAT}"
        )
    return manifest


def verify_backup(folder, manifest):
    """Check the size and SHA-256 of every file of the manifest; raises on the first damage found."""
    folder = Path(folder)
    problems = []
    total = sum(item["size"] for item in manifest["files"])
    with click.progressbar(length=total, label="    verifying checksums") as bar:
        for item in manifest["files"]:
            path = folder / item["path"]
            if not path.is_file():
                problems.append(f"{item['path']} is missing")
            elif path.stat().st_size != item["size"]:
                problems.append(f"{item['path']} has {path.stat().st_size} bytes, not {item['size']}")
            elif sha256_of(path, on_chunk=bar.update) != item["sha256"]:
                problems.append(f"{item['path']} does not match its SHA-256")
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise BackupError(
            f"the backup in {folder} is damaged ({shown}); nothing was restored: restore from another backup"
        )


def target_folders(manifest, files_folder):
    """Where each location's files go: its own folder, or ``files_folder`` (per name if several)."""
    locations = manifest["locations"]
    if files_folder is None:
        return {location["name"]: local_folder(location["uri"]) for location in locations}
    files_folder = Path(files_folder)
    if len(locations) == 1:
        return {locations[0]["name"]: files_folder}
    return {location["name"]: files_folder / location["name"] for location in locations}


def check_target(force, folders):
    """Refuse to restore over an instance's data unless forced."""
    tables = table_names()
    if tables and not force:
        raise BackupError(
            f"the database already holds {len(tables)} tables: restore into an empty database, "
            "or pass --force to replace its contents (they are lost)"
        )
    occupied = [str(folder) for folder in folders.values() if files_under(folder)]
    if occupied and not force:
        raise BackupError(
            f"files folder {', '.join(occupied)} is not empty: give an empty one with --files-dir, "
            "or pass --force to write the backup's files into it"
        )
    return bool(tables)


def restore_files(folder, manifest, folders):
    """Copy each location's files back to its target folder."""
    for location in manifest["locations"]:
        prefix = location["folder"] + "/"
        items = [item for item in manifest["files"] if item["path"].startswith(prefix)]
        target = folders[location["name"]]
        target.mkdir(parents=True, exist_ok=True)
        with click.progressbar(
            items, label=f"    files: {location['name']}", show_pos=True, item_show_func=lambda _: None
        ) as bar:
            for item in bar:
                copy_with_checksum(Path(folder) / item["path"], target / item["path"].removeprefix(prefix))
        if local_folder(location["uri"]) != target:
            moved = relocate(location["name"], target)
            progress(f"files: location {location['name']} now at {target} ({moved} file URIs updated)")


def rebuild_search():
    """Drop the registry's indices and rebuild them from the restored database."""
    list(current_search.delete(ignore=[400, 404]))
    ensure_indices()
    put_custom_field_mappings()
    reindex_everything()


def restore_instance(folder, force=False, files_folder=None):
    """Restore a backup into the configured database and files folder, then rebuild search."""
    started = time.monotonic()
    folder = Path(folder)
    manifest = read_manifest(folder)
    verify_backup(folder, manifest)
    progress(f"backup: {len(manifest['files'])} files match their checksums")
    folders = target_folders(manifest, files_folder)
    server_major = server_major_version()
    client_program("pg_restore", server_major)
    if check_target(force, folders):
        empty_schema()
        progress("database: emptied (--force)")

    progress("database: restoring (pg_restore, one transaction)")
    try:
        restore_database(database_uri(), folder / manifest["database"]["file"], server_major)
    except DatabaseError as error:
        raise BackupError(
            f"{error}; nothing of the dump was loaded (one transaction). Fix the cause and run restore again"
        ) from None
    restore_files(folder, manifest, folders)
    rebuild_search()
    return RestoreResult(
        manifest=manifest,
        counts=instance_counts(),
        differing_secrets=differing_secrets(folder / SECRETS),
        seconds=time.monotonic() - started,
    )


def folder_size(folder):
    """Bytes of every file below a folder."""
    return sum(os.path.getsize(path) for path in files_under(folder))
