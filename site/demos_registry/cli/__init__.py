"""Command line of the registry: ``invenio demos ...``."""

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from invenio_access.permissions import system_identity
from invenio_pidstore.errors import PIDDoesNotExistError, PIDUnregistered
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.engine import dsl

from ..custom_fields.config import MODEL_RESOURCE_TYPE
from ..doi.cli import doi
from ..registry_entries.entries import EntryError
from ..registry_entries.service import (
    entry_paths,
    export_entry,
    import_entry,
    load_entry,
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
@with_appcontext
def import_entries(paths):
    """Create and publish records from registry-entry JSON files or folders.

    Idempotent by model_id: entries already published in the same version are
    skipped. Exits non-zero if any entry failed (the others are still imported).
    """
    entries = [entry for path in paths for entry in entry_paths(path)]
    failures = 0
    with eager_tasks(), click.progressbar(entries, label="Importing", show_pos=True) as bar:
        for path in bar:
            try:
                result = import_entry(load_entry(path), Path(path).parent)
            except EntryError as error:
                failures += 1
                click.secho(f"\n{path}: {error}", fg="red", err=True)
                continue
            click.echo(f"\n{path}: {result.action} {result.record_id}")
    if failures:
        raise click.ClickException(
            f"{failures} of {len(entries)} entries failed; fix them and run the import again"
        )


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
    click.echo(f"{len(ids)} validations queued; follow them with GET /api/records/<id>/validation")
