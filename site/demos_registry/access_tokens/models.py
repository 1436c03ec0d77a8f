"""When each personal access token was last used (invenio-oauth2server does not keep it)."""

from invenio_db import db
from invenio_oauth2server.models import Token


class TokenLastUse(db.Model):
    """The last time a token authenticated a request; deleted with its token."""

    __tablename__ = "demos_token_last_use"

    token_id = db.Column(
        db.Integer, db.ForeignKey(Token.id, ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    last_used = db.Column(db.UTCDateTime, nullable=False)
