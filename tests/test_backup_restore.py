"""Backup and restore drill: back the instance up, restore it elsewhere, find everything again.

The session's instance (its database, files folder and indices) is the source; the
restore goes into a scratch database ``<test database>_restore``, a scratch files
folder and indices of their own prefix, served by a second application, so that the
other test modules keep their instance. The scratch target starts as a wiped
instance would be: no tables, no files, no indices.

Every write to the session's instance happens before the second application is
created (creating it makes its Celery app the current one).
"""

import hashlib
import json
import shutil
import uuid
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from invenio_db import db
from invenio_files_rest.models import Location
from invenio_search.proxies import current_search
from rest_helpers import (
    create_draft,
    model_metadata,
    publish,
    submit_to_community,
    upload_file,
    user_with_token,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from test_validation_runs import shifted_points

from demos_registry.backup.files import local_folder
from demos_registry.cli import demos

MODEL_FILE = "2-bin_1-channel.json"
DRILL = f"Backup drill {uuid.uuid4().hex[:8]}"
"""In the title of every record of this module, to find them (and only them) by search."""
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DRILL_INDEX_PREFIX = "demos-drill-"


def bearer(token):
    """JSON headers for a token."""
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


@pytest.fixture(scope="module")
def drill_records(app, researcher, shared_models):
    """Ids of the drill's records: versions, an override, a failed draft, restricted files."""
    client = app.test_client()
    headers = bearer(researcher.test_token)
    curator = bearer(user_with_token("curator@demos.local", "curator")[1])
    content = (shared_models / "pyhf" / MODEL_FILE).read_bytes()

    def draft_with_file(title, **custom_fields):
        response = create_draft(client, headers, model_metadata(f"{DRILL} {title}", **custom_fields))
        assert response.status_code == 201, response.json
        upload_file(client, headers, response.json["id"], MODEL_FILE, content)
        return response.json["id"]

    first = draft_with_file("versioned")
    assert publish(client, headers, first).status_code == 202
    second = client.post(f"/api/records/{first}/versions", headers=headers).json
    client.post(f"/api/records/{second['id']}/draft/actions/files-import", headers=headers)
    second["metadata"].update(version="v2", publication_date="2025-01-01")
    assert client.put(f"/api/records/{second['id']}/draft", headers=headers, json=second).status_code == 200
    assert publish(client, headers, second["id"]).status_code == 202

    overridden = draft_with_file("overridden", **{"demos:reference_points": shifted_points(1e-3)})
    request = submit_to_community(client, headers, overridden)
    reason = "The reference values predate a pyhf fix; the curator recomputed them by hand."
    response = client.post(
        f"/api/records/{overridden}/validation/override", headers=curator, json={"reason": reason}
    )
    assert response.status_code == 200, response.json
    response = client.post(
        f"/api/requests/{request['id']}/actions/accept",
        headers=curator,
        json={"payload": {"content": "Accepted.", "format": "html"}},
    )
    assert response.status_code == 200, response.json

    failed = draft_with_file("failed", **{"demos:reference_points": shifted_points(1e-3)})

    restricted = create_draft(client, headers, model_metadata(f"{DRILL} restricted files")).json["id"]
    draft = client.get(f"/api/records/{restricted}/draft", headers=headers).json
    draft["access"] = {"record": "public", "files": "restricted"}
    assert client.put(f"/api/records/{restricted}/draft", headers=headers, json=draft).status_code == 200
    upload_file(client, headers, restricted, MODEL_FILE, content)
    assert publish(client, headers, restricted).status_code == 202

    return {
        "published": [first, second["id"], overridden, restricted],
        "failed_draft": failed,
        "overridden": overridden,
        "restricted": restricted,
        "headers": headers,
    }


def plain(value):
    """JSON form of a database value."""
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    return str(value)


def database_rows(uri, files_uri):
    """Every row of every table, as sorted canonical JSON (the files location URI made neutral)."""
    engine = sa.create_engine(uri, poolclass=NullPool)
    with engine.connect() as connection:
        snapshot = {}
        for table in sa.inspect(connection).get_table_names():
            rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).mappings()
            snapshot[table] = sorted(
                json.dumps(dict(row), default=plain, sort_keys=True).replace(files_uri, "<files>")
                for row in rows
            )
    engine.dispose()
    return snapshot


@pytest.fixture(scope="module")
def backup(app, drill_records, test_database_uri, tmp_path_factory):
    """The session's instance backed up with ``invenio demos backup``: (folder, output, rows before)."""
    files_uri = Location.get_default().uri
    rows = database_rows(test_database_uri, files_uri)
    folder = tmp_path_factory.mktemp("backups") / "drill"
    result = app.test_cli_runner().invoke(demos, ["backup", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result.output, rows


@pytest.fixture(scope="module")
def scratch_database(test_database_uri):
    """An empty database beside the test database (dropped afterwards)."""
    url = make_url(test_database_uri)
    name = f"{url.database}_restore"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="module")
def restored_app(backup, create_app, app_config, scratch_database):
    """A second application on the scratch database and indices of their own prefix."""
    restored = create_app(
        **{
            **app_config,
            "SQLALCHEMY_DATABASE_URI": scratch_database,
            "SEARCH_INDEX_PREFIX": DRILL_INDEX_PREFIX,
        }
    )
    yield restored
    with restored.app_context():
        list(current_search.delete(ignore=[400, 404]))
        db.session.remove()


@pytest.fixture(scope="module")
def scratch_files(tmp_path_factory):
    """The files folder of the restored instance."""
    return tmp_path_factory.mktemp("restored") / "data"


def restore(restored_app, folder, *options):
    """``invenio demos restore`` in the restored application.

    Its context is pushed here: the CLI runs in the current app's context when there is one.
    """
    with restored_app.app_context():
        return restored_app.test_cli_runner().invoke(demos, ["restore", str(folder), *options])


def scratch_tables(restored_app):
    """Tables of the scratch database."""
    with restored_app.app_context():
        tables = sa.inspect(db.engine).get_table_names()
        db.session.remove()
        return tables


def test_backup_has_a_manifest_with_counts_and_checksums(backup, drill_records):
    """Dump, files, secrets and manifest; the manifest's checksums are those of the files."""
    folder, output, _ = backup
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["records"] >= len(drill_records["published"])
    assert manifest["counts"]["drafts"] >= 1 and manifest["counts"]["users"] >= 2
    assert manifest["counts"]["communities"] == 6
    paths = {item["path"]: item for item in manifest["files"]}
    assert {"database.dump", "secrets.env"} <= set(paths)
    copied = [path for path in paths if path.startswith("files/")]
    assert len(copied) >= manifest["counts"]["files"]
    for path, item in paths.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == item["sha256"]
    assert "INVENIO_SECRET_KEY=" in (folder / "secrets.env").read_text()
    assert (folder / "secrets.env").stat().st_mode & 0o077 == 0
    assert "SECURITY_PASSWORD_SALT" in manifest["secrets"]
    assert "database:" in output and "Backup done" in output


def test_a_damaged_backup_is_refused_before_anything_changes(backup, restored_app, scratch_files, tmp_path):
    """One flipped byte in one file: clear error, and the target is left untouched."""
    damaged = tmp_path / "damaged"
    shutil.copytree(backup[0], damaged)
    victim = next(path for path in sorted((damaged / "files").rglob("*")) if path.is_file())
    data = bytearray(victim.read_bytes())
    data[0] ^= 0xFF
    victim.write_bytes(bytes(data))

    result = restore(restored_app, damaged, "--files-dir", str(scratch_files))
    assert result.exit_code == 1
    assert "is damaged" in result.output and "nothing was restored" in result.output
    assert victim.relative_to(damaged).as_posix() in result.output
    assert scratch_tables(restored_app) == []
    assert not scratch_files.exists()


def oai_headers(client, record_ids):
    """(identifier, datestamp, sets, status) of the records' OAI-PMH headers, harvesting every page."""
    params = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
    headers = []
    while True:
        root = ET.fromstring(client.get("/oai2d", query_string=params).data)
        for header in root.iter(f"{OAI}header"):
            identifier = header.findtext(f"{OAI}identifier")
            if identifier.rsplit(":", 1)[-1] in record_ids:
                sets = sorted(spec.text for spec in header.findall(f"{OAI}setSpec"))
                headers.append((identifier, header.findtext(f"{OAI}datestamp"), sets, header.get("status")))
        token = root.findtext(f".//{OAI}resumptionToken")
        if not token:
            return sorted(headers)
        params = {"verb": "ListIdentifiers", "resumptionToken": token}


def answers(client, drill_records):
    """What the API and OAI-PMH tell about the drill's records."""
    headers = drill_records["headers"]
    records = {}
    for record_id in drill_records["published"]:
        records[record_id] = client.get(f"/api/records/{record_id}", headers=headers).json
        records[f"{record_id}/versions"] = client.get(
            f"/api/records/{record_id}/versions", headers=headers, query_string={"sort": "version"}
        ).json["hits"]
        records[f"{record_id}/file"] = hashlib.sha256(
            client.get(f"/api/records/{record_id}/files/{MODEL_FILE}/content", headers=headers).data
        ).hexdigest()
    failed = drill_records["failed_draft"]
    records[f"{failed}/draft"] = client.get(f"/api/records/{failed}/draft", headers=headers).json
    search = client.get(
        "/api/records",
        headers=headers,
        query_string={"q": f'"{DRILL}"', "sort": "newest", "size": 50, "allversions": True},
    ).json
    return {
        "records": records,
        "search": search["hits"],
        "oai": oai_headers(client, set(drill_records["published"])),
        "anonymous file": client.get(f"/api/records/{drill_records['restricted']}/files").status_code,
    }


def test_restore_drill_brings_everything_back(
    app, backup, drill_records, restored_app, scratch_database, scratch_files
):
    """Restored elsewhere: the same rows, files, records, versions, verdicts, search and OAI-PMH answers."""
    folder, _, rows_before = backup
    result = restore(restored_app, folder, "--files-dir", str(scratch_files))
    assert result.exit_code == 0, result.output
    assert "Restore done" in result.output
    assert "differ from the backed-up" not in result.output

    assert database_rows(scratch_database, scratch_files.resolve().as_uri()) == rows_before

    with restored_app.app_context():
        files = db.session.execute(sa.text("SELECT uri, checksum FROM files_files")).all()
        db.session.remove()
    assert files
    for uri, checksum in files:
        assert f"md5:{hashlib.md5(local_folder(uri).read_bytes()).hexdigest()}" == checksum
        assert local_folder(uri).is_relative_to(scratch_files.resolve())

    before = answers(app.test_client(), drill_records)
    after = answers(restored_app.test_client(), drill_records)
    assert after == before
    assert len(after["search"]["hits"]) == after["search"]["total"] == len(drill_records["published"])
    assert len(after["oai"]) == len(drill_records["published"])
    assert after["anonymous file"] == 403

    overridden = after["records"][drill_records["overridden"]]
    assert overridden["custom_fields"]["demos:validation"]["status"] == "overridden"
    assert overridden["parent"]["communities"]["ids"]
    assert (
        after["records"][f"{drill_records['failed_draft']}/draft"]["custom_fields"]["demos:validation"][
            "status"
        ]
        == "failed"
    )
    first_versions = after["records"][f"{drill_records['published'][0]}/versions"]
    assert sorted(hit["versions"]["index"] for hit in first_versions["hits"]) == [1, 2]


def test_restore_refuses_a_database_that_is_not_empty(backup, restored_app, scratch_files):
    """Without --force, an instance with data is left alone and told what to do."""
    tables = scratch_tables(restored_app)
    result = restore(restored_app, backup[0], "--files-dir", str(scratch_files))
    assert result.exit_code == 1
    assert "restore into an empty database, or pass --force" in result.output
    assert scratch_tables(restored_app) == tables


def test_forced_restore_replaces_a_wrecked_instance(
    backup, drill_records, restored_app, scratch_files, shared_models
):
    """Files folder and indices gone, database still there: --force brings all back."""
    shutil.rmtree(scratch_files)
    with restored_app.app_context():
        list(current_search.delete(ignore=[400, 404]))
    result = restore(restored_app, backup[0], "--files-dir", str(scratch_files), "--force")
    assert result.exit_code == 0, result.output
    assert "database: emptied (--force)" in result.output
    client = restored_app.test_client()
    record_id = drill_records["restricted"]
    response = client.get(
        f"/api/records/{record_id}/files/{MODEL_FILE}/content", headers=drill_records["headers"]
    )
    assert response.status_code == 200
    assert response.data == (shared_models / "pyhf" / MODEL_FILE).read_bytes()
    assert "Restore done" in result.output


def test_backup_refuses_a_remote_files_location(app, tmp_path):
    """An S3 location is not copied: the command says how to back it up instead."""
    db.session.add(Location(name="drill-s3", uri="s3://demos-files", default=False))
    db.session.commit()
    try:
        result = app.test_cli_runner().invoke(demos, ["backup", str(tmp_path / "backup")])
    finally:
        db.session.delete(Location.get_by_name("drill-s3"))
        db.session.commit()
    assert result.exit_code == 1
    assert "drill-s3 (s3://demos-files) is not a local folder" in result.output
    assert "aws s3 sync" in result.output
    assert not (tmp_path / "backup").exists()
