"""Flask extension keeping the DEMOS check runs in step with the stored verdicts."""

from .api import follow_verdicts


class DemosChecks:
    """Register the verdict follower on an Invenio app."""

    def __init__(self, app=None):
        """Initialise the extension."""
        if app:
            self.init_app(app)

    def init_app(self, app):
        """Flask application initialisation."""
        app.extensions["demos-checks"] = self
        follow_verdicts()
