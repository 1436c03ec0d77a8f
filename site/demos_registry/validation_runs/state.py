"""The ``demos:validation`` field: current status plus an append-only decision trail.

Every change of status is a new history entry with who made it (the system task,
a user, a curator) and why; the current values are a summary of the last entries.
Nothing is overwritten in place: a re-validation or an override adds entries.

Statuses: pending → running → passed | failed | needs_review; a curator may
record ``overridden`` on a failed or needs_review model, with a written reason.
"""

from datetime import UTC, datetime

VALIDATION = "demos:validation"
PENDING, RUNNING = "pending", "running"
PASSED, FAILED, NEEDS_REVIEW, OVERRIDDEN = "passed", "failed", "needs_review", "overridden"
FINISHED = {PASSED, FAILED, NEEDS_REVIEW}
PUBLISHABLE = {PASSED, NEEDS_REVIEW, OVERRIDDEN}
REPORT_STATUS = {"passed": PASSED, "failed": FAILED, "needs_review": NEEDS_REVIEW, "error": FAILED}
"""Overall status of an engine report → status of the record (an error is a failure)."""


def now():
    """ISO timestamp (UTC) for the trail."""
    return datetime.now(UTC).isoformat()


def system_actor(task="validation"):
    """The registry itself, as an actor of the trail."""
    return {"type": "system", "id": task}


def user_actor(identity, role="user"):
    """A person (uploader or curator) as an actor of the trail."""
    return {"type": role, "id": str(identity.id)}


def current(record):
    """The stored validation state of a record (empty dict if none)."""
    return record.get("custom_fields", {}).get(VALIDATION) or {}


def transition(record, status, actor, reason, **fields):
    """Append a status change to the trail and update the summary; returns the state."""
    state = dict(current(record))
    entry = {"status": status, "at": now(), "actor": actor, "reason": reason}
    state["history"] = [*state.get("history", []), entry]
    state.update(status=status, updated=entry["at"], **fields)
    record.setdefault("custom_fields", {})[VALIDATION] = state
    return state


def failed_reasons(state):
    """Reasons of the failed checks of the last report, for error messages."""
    checks = state.get("report", {}).get("checks", [])
    return [f"{c['id']}: {c.get('reason') or 'failed'}" for c in checks if c["status"] == "failed"]
