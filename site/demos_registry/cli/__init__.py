"""Command line of the registry: ``invenio demos ...``."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .setup import setup_instance


@click.group()
def demos():
    """DEMOS Model Registry commands."""


@demos.command("setup")
@click.option("--admin-email", default="admin@demos.local", show_default=True)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False),
    help="Where the generated admin password is kept [default: <instance>/admin-password].",
)
@with_appcontext
def setup(admin_email, password_file):
    """Create what is missing: tables, indices, fixtures, admin account."""
    instance = Path(current_app.instance_path)
    setup_instance(
        admin_email=admin_email,
        password_file=password_file or instance / "admin-password",
        files_path=instance / "data",
    )
