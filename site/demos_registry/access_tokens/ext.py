"""Extension wiring the token lifetime cap and usage record into both applications."""

from invenio_oauth2server.models import Token
from sqlalchemy import event

from .api import cap_personal_token_lifetime, record_token_use, token_last_used


class AccessTokens:
    """Personal access tokens with a maximum lifetime and a visible last use."""

    def __init__(self, app=None):
        if app:
            self.init_app(app)

    def init_app(self, app):
        """The request hook and the template global; the model listener once per process."""
        app.after_request(record_token_use)
        app.add_template_global(token_last_used, "demos_token_last_used")
        if not event.contains(Token, "before_insert", cap_personal_token_lifetime):
            event.listen(Token, "before_insert", cap_personal_token_lifetime)
        app.extensions["demos-access-tokens"] = self
