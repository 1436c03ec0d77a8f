"""``invenio demos backup DIR`` and ``invenio demos restore DIR`` (see docs/operations.md).

The backup service is imported when a command runs: it reuses the set-up steps of
this package, whose ``__init__`` imports this module.
"""

import click
from flask.cli import with_appcontext


def megabytes(size):
    """A size for people."""
    return f"{size / 1e6:.1f} MB"


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False))
@with_appcontext
def backup(folder):
    """Back up the database, the files and the secrets into a new folder, with a manifest.

    The search indices are not backed up: restore rebuilds them from the database.
    """
    from ..backup.service import SECRETS, BackupError, backup_instance, folder_size

    try:
        manifest = backup_instance(folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = ", ".join(f"{count} {name}" for name, count in manifest["counts"].items())
    click.secho(
        f"Backup done in {manifest['seconds']:.0f} s: {folder} ({megabytes(folder_size(folder))}, "
        f"{len(manifest['files'])} files with SHA-256 in manifest.json)\n"
        f"    {counts}\n"
        f"    {SECRETS} holds the instance's secrets: keep the backup where only administrators can read it",
        fg="green",
    )


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--force", is_flag=True, help="Replace the contents of a database (and files folder) that is not empty."
)
@click.option(
    "--files-dir",
    type=click.Path(file_okay=False),
    help="Restore the files here instead of the backed-up location's folder (the location is moved).",
)
@with_appcontext
def restore(folder, force, files_dir):
    """Restore a backup into the configured database and files folder, then rebuild the search indices.

    Every checksum of the manifest is verified before anything is changed.
    """
    from ..backup.service import SECRETS, BackupError, restore_instance

    try:
        result = restore_instance(folder, force=force, files_folder=files_dir)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"\n    {'':<12} {'backup':>8} {'restored':>9}")
    for name, expected in result.manifest["counts"].items():
        restored = result.counts.get(name)
        click.secho(
            f"    {name:<12} {expected:>8} {restored:>9}", fg="green" if restored == expected else "red"
        )
    if result.differing_secrets:
        click.secho(
            f"\nThe configured {', '.join(result.differing_secrets)} differ from the backed-up instance's: "
            "sessions, personal access tokens and e-mailed links of the backup will not work. Set the "
            f"values of {folder}/{SECRETS} in this instance's environment (or .env) and restart it.",
            fg="yellow",
        )
    if result.counts != result.manifest["counts"]:
        raise click.ClickException(
            "the restored counts differ from the manifest's (red above): the dump does not hold what the "
            "manifest says; restore from another backup or inspect the database"
        )
    click.secho(
        f"Restore done in {result.seconds:.0f} s; search indices rebuilt from the database.", fg="green"
    )
