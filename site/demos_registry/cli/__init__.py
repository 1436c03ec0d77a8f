"""Command line of the registry: ``invenio demos ...``."""

import json
from pathlib import Path

import click
from celery import current_app as current_celery
from flask import current_app
from flask.cli import with_appcontext
from invenio_access.permissions import system_identity
from invenio_pidstore.errors import PIDDoesNotExistError, PIDUnregistered
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.engine import dsl

from ..custom_fields.config import MODEL_RESOURCE_TYPE
from ..doi.cli import doi
from ..loop_session import forget_loaded_records
from ..registry_entries.entries import EntryError
from ..registry_entries.service import (
    entry_paths,
    export_entry,
    finish_import,
    import_entry,
    load_entry,
    start_import,
)
from ..validation_runs.service import revalidate
from .backup import backup, restore
from .setup import eager_tasks, setup_instance


@click.group()
def demos():
    """DEMOS Model Registry commands."""


demos.add_command(backup)
demos.add_command(doi)
demos.add_command(restore)


@demos.command("setup")
@click.option("--admin-email", default="admin@demos.local", show_default=True)
@click.option("--curator-email", default="curator@demos.local", show_default=True)
@click.option(
    "--demo-models/--no-demo-models",
    default=True,
    show_default=True,
    help="Publish the demo models of app_data/demo_models.",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False),
    help="Where the generated admin password is kept [default: <instance>/admin-password].",
)
@with_appcontext
def setup(admin_email, curator_email, demo_models, password_file):
    """Create what is missing: tables, indices, fixtures, accounts, communities, demo models."""
    instance = Path(current_app.instance_path)
    setup_instance(
        admin_email=admin_email,
        password_file=password_file or instance / "admin-password",
        files_path=instance / "data",
        curator_email=curator_email,
        demo_models=instance / "app_data" / "demo_models" if demo_models else None,
    )


@demos.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--workers",
    is_flag=True,
    help="Let the Celery workers validate (every draft first, each published once judged).",
)
@with_appcontext
def import_entries(paths, workers):
    """Create and publish records from registry-entry JSON files or folders.

    Each model is validated in this process before it is published; with --workers (and
    workers on the validation queue) every draft is created first and the workers validate
    them side by side, each published once judged. Idempotent by model_id: entries already
    published in the same version are skipped. Exits non-zero if any entry failed (the
    others are still imported).
    """
    entries = [entry for path in paths for entry in entry_paths(path)]
    if workers and validation_workers():
        failures = import_through_workers(entries)
    else:
        if workers:
            click.secho(
                "No Celery worker consumes the validation queue: each model is validated in this process, "
                "one after the other (start the workers, e.g. ./scripts/run, to share the work).",
                fg="yellow",
                err=True,
            )
        failures = import_in_process(entries)
    if failures:
        raise click.ClickException(
            f"{failures} of {len(entries)} entries failed; fix them and run the import again"
        )


def validation_workers():
    """Whether a Celery worker answers that it consumes the validation queue."""
    queue = current_app.config["DEMOS_VALIDATION_QUEUE"]
    replies = current_celery.control.inspect(timeout=1.0).active_queues() or {}
    return any(queue == item.get("name") for queues in replies.values() for item in queues or [])


def attempt(path, step):
    """Run one import step of an entry file; its result, or None after saying why it failed."""
    try:
        return step()
    except EntryError as error:
        click.secho(f"\n{path}: {error}", fg="red", err=True)
        return None
    finally:
        forget_loaded_records()


def import_in_process(entries):
    """Validate and publish one entry after the other in this process; the number of failures."""
    failures = 0
    with eager_tasks(), click.progressbar(entries, label="Importing", show_pos=True) as bar:
        for path in bar:
            result = attempt(path, lambda path=path: import_entry(load_entry(path), Path(path).parent))
            failures += result is None
            if result:
                click.echo(f"\n{path}: {result.action} {result.record_id}")
    return failures


def import_through_workers(entries):
    """Create every draft (the workers validate them meanwhile), then publish each once judged.

    Versions of one model go in successive rounds: a version is made from the published one before it.
    """
    return sum(import_round(entries) for entries in rounds_by_model_id(entries))


def rounds_by_model_id(entries):
    """The entry files in rounds: the n-th entry of a model id (in the given order) in round n."""
    rounds, seen = [], {}
    for path in entries:
        try:
            model_id = load_entry(path).get("model_id")
        except EntryError:
            model_id = None  # reported when it is imported
        number = seen.get(model_id, 0) if model_id else 0
        seen[model_id] = number + 1
        if number == len(rounds):
            rounds.append([])
        rounds[number].append(path)
    return rounds


def import_round(entries):
    """Import entry files of distinct models through the workers; the number of failures."""
    failures, started = 0, []
    with click.progressbar(entries, label="Submitting", show_pos=True) as bar:
        for path in bar:
            result = attempt(path, lambda path=path: start_import(load_entry(path), Path(path).parent))
            failures += result is None
            if result and result.action == "skipped":
                click.echo(f"\n{path}: skipped {result.record_id}")
            elif result:
                started.append((path, result))
    wait = current_app.config["DEMOS_VALIDATION_STALE_AFTER"].total_seconds()
    with click.progressbar(started, label="Publishing as judged", show_pos=True) as bar:
        for path, result in bar:
            published = attempt(path, lambda result=result: finish_import(result, system_identity, wait))
            failures += published is None
            if published:
                click.echo(f"\n{path}: {result.action} {result.record_id}")
    return failures


@demos.command("export")
@click.argument("record_id")
@with_appcontext
def export(record_id):
    """Print the registry-entry JSON of a published record."""
    try:
        click.echo(json.dumps(export_entry(record_id), indent=2, ensure_ascii=False))
    except (PIDDoesNotExistError, PIDUnregistered):
        raise click.ClickException(f"no published record {record_id!r}") from None


def published_models(domain=None):
    """Ids of all published statistical models (optionally of one domain)."""
    query = dsl.Q("term", **{"metadata.resource_type.id": MODEL_RESOURCE_TYPE})
    if domain:
        query &= dsl.Q("term", **{"custom_fields.demos:domain.id": domain})
    return [hit["id"] for hit in current_rdm_records_service.scan(system_identity, extra_filter=query)]


@demos.command("revalidate")
@click.argument("record_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every published model.")
@click.option("--domain", help="With --all: only the models of this domain.")
@with_appcontext
def revalidate_records(record_ids, everything, domain):
    """Queue a new validation of records (e.g. after an engine upgrade).

    Each becomes "pending" at once; the Celery worker validates them and adds the
    verdict to their decision trail, keeping the earlier ones.
    """
    if not record_ids and not everything:
        raise click.UsageError("give record ids or --all")
    ids = list(record_ids) or published_models(domain)
    with click.progressbar(ids, label="Queueing validations", show_pos=True) as bar:
        for record_id in bar:
            try:
                revalidate(system_identity, record_id)
            except PIDDoesNotExistError:
                raise click.ClickException(f"no record {record_id!r}") from None
            forget_loaded_records()
    click.echo(f"{len(ids)} validations queued; follow them with GET /api/records/<id>/validation")
