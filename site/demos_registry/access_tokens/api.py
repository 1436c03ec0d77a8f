"""Token lifetime cap and usage record, used by the extension's hooks."""

from datetime import UTC, datetime, timedelta

from flask import current_app, g, request
from invenio_db import db
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from .models import TokenLastUse

LAST_USE_RESOLUTION = timedelta(minutes=1)
"""A token's last use is written at most once per minute: one row update per request
would make every API call a database write."""


def cap_personal_token_lifetime(mapper, connection, token):
    """SQLAlchemy ``before_insert`` of a Token: personal tokens expire after the configured maximum."""
    max_days = current_app.config.get("DEMOS_PERSONAL_TOKEN_MAX_LIFETIME_DAYS")
    if not token.is_personal or max_days is None:
        return
    latest = datetime.now(UTC) + timedelta(days=max_days)
    if token.expires is None or token.expires > latest:
        token.expires = latest


def record_token_use(response):
    """``after_request``: note when the request's bearer token was used (not for failed logins)."""
    oauth = getattr(request, "oauth", None)
    token = getattr(oauth, "access_token", None)
    if token is None or getattr(g, "demos_token_use_recorded", False):
        return response
    g.demos_token_use_recorded = True
    now = datetime.now(UTC)
    table = TokenLastUse.__table__
    statement = insert(table).values(token_id=token.id, last_used=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.token_id],
        set_={"last_used": now},
        where=table.c.last_used < now - LAST_USE_RESOLUTION,
    )
    # Its own connection: the request's session may hold work the view chose not to commit.
    # Best effort: a database outage must not turn the view's answer (e.g. a 503) into a 500.
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError as error:
        current_app.logger.warning("could not record the use of token %s: %s", token.id, error)
    return response


def token_last_used(token_id):
    """When the token last authenticated a request, or None (template global)."""
    row = db.session.get(TokenLastUse, token_id)
    return row.last_used if row else None
