"""The one place where an InvenioRDM service is adapted to the embedded search server (osmem).

osmem-server (the default of scripts/run and of the tests) does not support ``inner_hits``
of a ``has_child`` query, which invenio-requests uses to preview the replies of each comment
in a request's timeline: the community request page a curator reviews a model on showed no
conversation (500). There is no config hook for the events service class, so, only when
DEMOS_EMBEDDED_SEARCH is set, the service asks the timeline without that preview; the page
then loads replies per comment. With OpenSearch nothing changes.
"""

from invenio_requests.services.events.service import RequestEventsService
from invenio_search.engine import dsl


class EmbeddedSearchRequestEventsService(RequestEventsService):
    """Request timeline without the has_child reply preview osmem cannot answer."""

    def _timeline_query_child_preview(self, preview_size):
        """No preview: the timeline query keeps its parents, replies load per comment."""
        return dsl.Q("match_none")


def adapt_services_to_embedded_search(app):
    """finalize_app hook: swap in the adapted events service when running on osmem."""
    if app.config.get("DEMOS_EMBEDDED_SEARCH"):
        app.extensions[
            "invenio-requests"
        ].request_events_service.__class__ = EmbeddedSearchRequestEventsService
