"""Time ``invenio demos backup`` and ``restore`` on an instance of a given size.

    python benchmarks/backup.py --demo-models            # the demo instance (21 models)
    python benchmarks/backup.py --count 1000             # 1,000 benchmark models

Sets up an instance of its own (database ``demos_backup_bench`` on localhost:5432,
files in var/bench-backup/<database>/, an osmem search server it starts, Redis db 0 for
the identities cache, in-process queues: everything runs in this process), fills it
with the demo models and/or ``--count`` benchmark models (loaded as
benchmarks/bulk_load.py loads them: the import CLI, engine runs shared per distinct
input), backs it up, wipes it (drops the schema, deletes the files folder and the
indices), restores it and prints the times and sizes as a Markdown row. The
instance is kept between runs: a second run only loads what is missing.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("INVENIO_REDIS_URL", "redis://localhost:6379").rstrip("/")


def free_port():
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_search():
    """An osmem-server of our own; returns (process, port)."""
    import osmem_server

    binary = Path(osmem_server.__file__).parent / "bin" / "osmem-server"
    port = free_port()
    process = subprocess.Popen(
        [binary, "-addr", f"127.0.0.1:{port}", "-no-stdin-watch", "-parent-pid", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(60):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.5)
    process.kill()
    sys.exit("osmem-server did not start")


def database_uri(name):
    """Create the benchmark database (scripts/ensure_database.py) and return its URL."""
    return subprocess.run(
        [sys.executable, ROOT / "scripts" / "ensure_database.py", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def application(uri, search_port, instance):
    """The registry's app on the benchmark's database, search server, files and Redis db."""
    os.environ["INVENIO_INSTANCE_PATH"] = str(instance)
    os.environ.setdefault("INVENIO_DEMOS_EMBEDDED_SEARCH", "True")
    from invenio_app.factory import create_app

    instance.mkdir(parents=True, exist_ok=True)
    for item in ("app_data", "templates", "invenio.cfg"):
        if not (instance / item).exists():
            (instance / item).symlink_to(ROOT / item)
    cache, broker = f"{REDIS}/0", "memory://"
    return create_app(
        SQLALCHEMY_DATABASE_URI=uri,
        SEARCH_HOSTS=[{"host": "127.0.0.1", "port": search_port}],
        SEARCH_INDEX_PREFIX="demos-backup-bench-",
        CACHE_TYPE="SimpleCache",
        ACCOUNTS_SESSION_REDIS_URL=cache,
        RATELIMIT_STORAGE_URI="memory://",
        COMMUNITIES_IDENTITIES_CACHE_REDIS_URL=cache,
        CELERY_RESULT_BACKEND="cache+memory://",
        BROKER_URL=broker,
        CELERY_BROKER_URL=broker,
        QUEUES_BROKER_URL=broker,
        SECRET_KEY="backup-benchmark-secret",
        SECURITY_PASSWORD_SALT="backup-benchmark-salt",
    )


def run_cli(app, *arguments):
    """``invenio demos ...`` in this process; returns (seconds, output)."""
    from demos_registry.cli import demos

    started = time.monotonic()
    result = app.test_cli_runner().invoke(demos, list(arguments), catch_exceptions=False)
    elapsed = time.monotonic() - started
    if result.exit_code != 0:
        sys.exit(f"invenio demos {' '.join(arguments)} failed:\n{result.output}")
    return elapsed, result.output


def wipe(app, uri):
    """What a lost server leaves: no tables, no files, no indices."""
    from invenio_db import db
    from invenio_files_rest.models import Location
    from invenio_search.proxies import current_search

    from demos_registry.backup.files import local_folder

    with app.app_context():
        files = local_folder(Location.get_default().uri)
        list(current_search.delete(ignore=[400, 404]))
        db.session.remove()
        db.engine.dispose()
    engine = sa.create_engine(uri)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    shutil.rmtree(files)


def main():
    """Fill, back up, wipe, restore; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=0, help="benchmark models to load")
    parser.add_argument("--demo-models", action="store_true", help="publish the 21 demo models too")
    parser.add_argument("--database", default="demos_backup_bench")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bulk_load import write_entries

    from demos_registry.cli.setup import setup_instance

    var = ROOT / "var" / "bench-backup" / args.database
    search, port = start_search()
    try:
        uri = database_uri(args.database)
        app = application(uri, port, var / "instance")
        with app.app_context():
            setup_instance(
                admin_email="admin@demos.local",
                password_file=var / "instance" / "admin-password",
                files_path=var / "instance" / "data",
                curator_email="curator@demos.local",
                demo_models=ROOT / "app_data" / "demo_models" if args.demo_models else None,
            )
        if args.count:
            entries = write_entries(var / "entries", args.count)
            seconds, _ = run_cli(app, "import", *map(str, entries))
            print(f"loaded {args.count} benchmark models in {seconds:.0f} s", file=sys.stderr)

        backup = var / "backups" / time.strftime("%Y%m%d-%H%M%S")
        backup_seconds, output = run_cli(app, "backup", str(backup))
        print(output, file=sys.stderr)
        manifest = json.loads((backup / "manifest.json").read_text())
        dump_bytes = (backup / "database.dump").stat().st_size
        total_bytes = sum(item["size"] for item in manifest["files"])

        wipe(app, uri)
        restore_seconds, output = run_cli(app, "restore", str(backup))
        print(output, file=sys.stderr)
        counts = manifest["counts"]
        print(
            "| records | files | backup size (dump) | backup time | restore time (with reindex) |\n"
            "|---|---|---|---|---|\n"
            f"| {counts['records']} | {counts['files']} | {total_bytes / 1e6:.1f} MB ({dump_bytes / 1e6:.1f} MB) "
            f"| {backup_seconds:.0f} s | {restore_seconds:.0f} s |"
        )
    finally:
        search.terminate()
        search.wait()


if __name__ == "__main__":
    main()
