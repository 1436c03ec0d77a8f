"""Flask extension of the quality score: the score in the search index, and on the landing page."""

from .dumper import register_quality_dumper
from .score import quality


class Quality:
    """Registered on the UI, API and Celery apps (``invenio_base.apps`` and ``invenio_base.api_apps``)."""

    def __init__(self, app=None):
        """Initialise the extension."""
        if app:
            self.init_app(app)

    def init_app(self, app):
        """The dumper is a class attribute of the record classes: registered once per process.

        ``demos_quality(record)`` gives templates (the landing page's badge) the same score
        as the API and the index.
        """
        register_quality_dumper()
        app.add_template_global(quality, "demos_quality")
        app.extensions["demos-quality"] = self
