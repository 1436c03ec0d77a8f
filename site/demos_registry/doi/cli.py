"""``invenio demos doi ...``: what administrators need to see and unblock DOI registrations.

``list`` shows the DOIs DataCite has not confirmed (``pending``: being retried;
``rejected``: DataCite refused the metadata, with its reasons); ``retry`` sends a
record's unconfirmed DOIs to DataCite again at once, e.g. after a rejected record
was corrected without a new publication or DataCite changed its rules.
"""

import click
from flask.cli import with_appcontext
from invenio_access.permissions import system_identity
from invenio_pidstore.errors import PIDDoesNotExistError, PIDUnregistered
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMRecord

from .registration import PENDING, REGISTERED, UNCONFIRMED, entry_key, registration_entry
from .tasks import entries_with_status, pending_registrations


@click.group("doi")
def doi():
    """DataCite DOIs of the records: registration states and retries."""


def describe(record, parent):
    """One line about a DOI of a record: id, which DOI, DOI, status, attempts, last attempt, message."""
    entry = registration_entry(record, parent)
    pids = (record.parent if parent else record).pids
    return "\t".join(
        str(value)
        for value in (
            record.pid.pid_value,
            entry_key(parent),
            entry.get("doi") or pids.get("doi", {}).get("identifier", ""),
            entry.get("status", PENDING),
            f"attempts={entry.get('attempts', 0)}",
            entry.get("last_attempt", "-"),
            entry.get("message", ""),
        )
    )


@doi.command("list")
@click.option(
    "--status",
    "statuses",
    type=click.Choice(UNCONFIRMED),
    multiple=True,
    help="Only DOIs in this state (repeatable) [default: pending and rejected].",
)
@with_appcontext
def list_dois(statuses):
    """List the DOIs DataCite has not confirmed, one tab-separated line each.

    Columns: record id, version or concept DOI, DOI, status, attempts, last attempt,
    DataCite's reasons (rejected) or the last failure (pending).
    """
    for status in statuses or UNCONFIRMED:
        found = pending_registrations() if status == PENDING else entries_with_status(status)
        for record, parent in found:
            click.echo(describe(record, parent))


def unconfirmed_dois(record):
    """(record holding the entry, parent?) of each of a record's DataCite DOIs not registered yet.

    The concept DOI's entry lives on the latest version (registration.record_of).
    """
    found = []
    for parent in (False, True):
        pids = record.parent.pids if parent else record.pids
        if pids.get("doi", {}).get("provider") != "datacite":
            continue
        holder = RDMRecord.get_record(record.versions.latest_id) if parent else record
        if registration_entry(holder, parent).get("status") != REGISTERED:
            found.append((holder, parent))
    return found


@doi.command("retry")
@click.argument("record_id")
@with_appcontext
def retry(record_id):
    """Send a record's pending or rejected DOIs to DataCite again, now.

    Prints the outcome of each; fails if DataCite still did not register one (a
    rejected DOI keeps DataCite's new reasons, a pending one is retried by the beat task).
    """
    try:
        record = RDMRecord.pid.resolve(record_id)
    except (PIDDoesNotExistError, PIDUnregistered):
        raise click.ClickException(f"no published record {record_id!r}") from None
    unconfirmed = unconfirmed_dois(record)
    if not unconfirmed:
        click.echo(f"{record_id}: every DataCite DOI is registered, nothing to retry")
        return
    failed = 0
    for holder, parent in unconfirmed:
        current_rdm_records_service.pids.register_or_update(
            system_identity, holder.pid.pid_value, "doi", parent=parent
        )
        holder = RDMRecord.get_record(holder.id)
        click.echo(describe(holder, parent))
        failed += registration_entry(holder, parent).get("status") != REGISTERED
    if failed:
        raise click.ClickException(f"DataCite did not register {failed} DOI(s) of {record_id}")
