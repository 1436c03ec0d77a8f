"""Idempotent initialisation of a registry instance (``invenio demos setup``).

One process does what invenio-cli's ``services setup`` does in a dozen commands.
Each step checks whether its work is already there, so a second run keeps the
existing data and only fills what is missing, e.g. the indices of a search
server that started empty (the embedded osmem-server keeps nothing on restart).
"""

import inspect
import secrets
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from celery import current_app as current_celery
from flask import current_app
from flask_security.utils import hash_password
from invenio_access.models import ActionRoles
from invenio_access.permissions import superuser_access, system_identity
from invenio_accounts.proxies import current_datastore
from invenio_app_rdm.fixtures import FixturesEngine as PagesAndSetsFixtures
from invenio_app_rdm.fixtures import Pages
from invenio_db import db
from invenio_db.utils import create_alembic_version_table
from invenio_files_rest.models import Location
from invenio_indexer.proxies import current_indexer_registry
from invenio_queues.proxies import current_queues
from invenio_rdm_records.fixtures import FixturesEngine as VocabulariesAndCommunities
from invenio_rdm_records.fixtures import PrioritizedVocabulariesFixtures
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_records_resources.proxies import current_service_registry
from invenio_records_resources.services.custom_fields.mappings import Mapping
from invenio_search.proxies import current_search, current_search_client
from invenio_search.utils import build_alias_name
from invenio_users_resources.proxies import current_users_service
from invenio_users_resources.records.api import UserAggregate
from sqlalchemy import inspect as inspect_database

from ..communities import ensure_domain_communities
from ..loop_session import forget_loaded_records
from ..oai.sets import ensure_domain_oai_sets
from ..registry_entries.service import entry_paths, import_entry, load_entry
from ..search.aggregations import warm_facet_keys

ADMIN_ROLE = "admin"


def progress(message):
    """One progress line per step."""
    click.secho(f"    {message}", fg="cyan")


@contextmanager
def eager_tasks():
    """Run Celery tasks in this process: fixtures must exist when setup returns."""
    conf = current_celery.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    try:
        yield
    finally:
        conf.task_always_eager = previous


def ensure_tables():
    """Create the tables of an empty database, or those a newer release added; True if it was empty.

    An instance set up by an earlier release keeps its data: only missing tables are created
    (e.g. the registry's own tables added since).
    """
    existing = set(inspect_database(db.engine).get_table_names())
    missing = [table for table in db.metadata.sorted_tables if table.name not in existing]
    if not missing:
        progress("database: tables exist")
        return False
    db.metadata.create_all(bind=db.engine, tables=missing)
    was_empty = "accounts_user" not in existing
    if was_empty:
        create_alembic_version_table()
    progress(f"database: created {len(missing)} tables ({'new instance' if was_empty else 'added since'})")
    return was_empty


def ensure_files_location(path):
    """The default files location: without one every record create fails."""
    if Location.get_default():
        progress("files: default location exists")
        return
    uri = Path(path).resolve().as_uri()
    db.session.add(Location(name="default-location", uri=uri, default=True))
    db.session.commit()
    progress(f"files: default location {uri}")


def ensure_admin_role():
    """The admin role, allowed superuser access."""
    role = current_datastore.find_or_create_role(ADMIN_ROLE)
    db.session.flush()
    if not ActionRoles.query.filter_by(action=superuser_access.value, role_id=role.id).first():
        db.session.add(ActionRoles.allow(superuser_access, role=role))
    db.session.commit()
    progress("roles: admin role with superuser access")


def ensure_account(email, username, full_name, password_file, role=None):
    """An active, confirmed account with a generated password; returns the user.

    The password is written to password_file (mode 0600) so the run command can
    print it on every start; it is never stored anywhere else in clear.
    """
    user = current_datastore.get_user(email)
    if user:
        progress(f"accounts: {email} exists")
        return user
    password = secrets.token_urlsafe(12)
    user = current_datastore.create_user(
        email=email,
        password=hash_password(password),
        active=True,
        confirmed_at=datetime.now(UTC),
        username=username,
        user_profile={"full_name": full_name},
    )
    if role:
        current_datastore.add_role_to_user(user, role)
    db.session.commit()
    current_users_service.indexer.index(UserAggregate.get_record(user.id))
    password_file = Path(password_file)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    progress(f"accounts: created {email}")
    return user


def ensure_communities(curator):
    """One community per physics domain, with the curator account as curator."""
    created, existing = ensure_domain_communities(curator)
    progress(f"communities: {created} created, {existing} existing (one per domain)")


def import_demo_models(folder):
    """Publish (and validate) the demo models that are not in the registry yet."""
    entries = entry_paths(folder)
    actions = Counter()
    with eager_tasks():
        for number, path in enumerate(entries, start=1):
            action = import_entry(load_entry(path), path.parent).action
            forget_loaded_records()
            actions[action] += 1
            if action != "skipped":
                progress(f"demo models: {number}/{len(entries)} {action}: {path.parent.name}")
    summary = ", ".join(f"{count} {action}" for action, count in sorted(actions.items()))
    progress(f"demo models: {summary or 'none found'} ({folder})")


def ensure_indices():
    """Create the indices if the search server has none; True if it had none."""
    if current_search_client.indices.exists_alias(name=build_alias_name("rdmrecords-records")):
        progress("search: indices exist")
        return False
    list(current_search.create(ignore=[400]))
    progress("search: indices created")
    return True


def put_custom_field_mappings():
    """Add the mappings of the configured record custom fields (no-op if none)."""
    fields = current_app.config.get("RDM_CUSTOM_FIELDS", [])
    if not fields:
        return
    properties = Mapping.properties_for_fields(None, fields)
    config = current_rdm_records_service.config
    for record_cls in (config.record_cls, config.draft_cls):
        current_search_client.indices.put_mapping(
            index=build_alias_name(record_cls.index._name),
            body={"properties": properties},
        )
    progress(f"search: mappings for {len(fields)} custom fields")


def reindex_everything():
    """Index every record, draft, community, user and vocabulary from the database."""
    for service in current_service_registry._services.values():
        try:
            service.rebuild_index(system_identity)
        except (AttributeError, NotImplementedError):
            continue
    for indexer in current_indexer_registry.all().values():
        indexer.process_bulk_queue()
    current_search_client.indices.refresh(index=build_alias_name("*", app=current_app))
    progress("search: reindexed everything from the database")


def load_fixtures():
    """Vocabularies, users, communities, pages and OAI sets (app_data/ first)."""
    with eager_tasks():
        VocabulariesAndCommunities(system_identity).run()
        PagesAndSetsFixtures().run()
    progress("fixtures: vocabularies, communities, pages and OAI sets loaded")


def load_new_vocabularies():
    """Vocabulary types added to app_data/ since the instance was set up."""
    app_data = Path(current_app.instance_path) / "app_data"
    with eager_tasks():
        PrioritizedVocabulariesFixtures(
            system_identity,
            app_data_folder=app_data,
            pkg_data_folder=Path(inspect.getfile(VocabulariesAndCommunities)).parent / "data",
            filename="vocabularies.yaml",
        ).load()
    progress("fixtures: vocabularies up to date")


def load_new_pages():
    """Static pages (about, help) added to app_data/pages.yaml since the instance was set up."""
    Pages().run(force=False)
    progress("fixtures: static pages up to date")


def setup_instance(admin_email, password_file, files_path, curator_email=None, demo_models=None):
    """Bring an instance to a usable state, whatever state it is in."""
    new_database = ensure_tables()
    ensure_files_location(files_path)
    ensure_admin_role()
    new_indices = ensure_indices()
    put_custom_field_mappings()
    current_queues.declare()
    progress("queues: declared")
    if new_database:
        load_fixtures()
    else:
        if new_indices:
            reindex_everything()
        load_new_vocabularies()
        load_new_pages()
    progress(f"OAI-PMH: {ensure_domain_oai_sets()} domain sets created")
    ensure_account(admin_email, "admin", "Registry administrator", password_file, ADMIN_ROLE)
    if curator_email:
        curator = ensure_account(
            curator_email, "curator", "Domain curator", Path(password_file).with_name("curator-password")
        )
        ensure_communities(curator)
    if demo_models:
        import_demo_models(demo_models)
    if warm_facet_keys():
        progress("search: facet values read (for the facet counts of the first search)")
