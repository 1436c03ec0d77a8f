"""Facets of the registry's searches.

The embedded search server (osmem-server) refuses a ``date_histogram`` with a
``format`` on a ``date_range`` field, which InvenioRDM's publication-date facet
sends; real OpenSearch accepts it. ``FormatlessDateFacet`` asks for the histogram
without the format and renders the bucket keys itself, so the facet looks the same.
It is configured only when ``INVENIO_DEMOS_EMBEDDED_SEARCH`` is true (set by
scripts/run and the tests when they start osmem); production keeps Invenio's facet.
"""

from datetime import UTC, datetime

from invenio_rdm_records.config import RDM_FACETS
from invenio_records_resources.services.records.facets import DateFacet

STRFTIME_OF_FORMAT = {"yyyy": "%Y", "yyyy-MM": "%Y-%m", "yyyy-MM-dd": "%Y-%m-%d"}


class FormatlessDateFacet(DateFacet):
    """A DateFacet whose aggregation carries no ``format``."""

    def get_aggregation(self):
        """The histogram aggregation of DateFacet, minus the format."""
        aggregation = super().get_aggregation()
        aggregation._params.pop("format", None)
        return aggregation

    def get_value(self, bucket):
        """Render the bucket's epoch-millisecond key as the format would."""
        moment = datetime.fromtimestamp(bucket.key / 1000, tz=UTC)
        return moment.strftime(STRFTIME_OF_FORMAT[self._format])


def embedded_search_facets():
    """RDM_FACETS with the date facets replaced by their formatless variant."""
    facets = {}
    for name, definition in RDM_FACETS.items():
        facet = definition["facet"]
        if isinstance(facet, DateFacet):
            facet = FormatlessDateFacet(
                field=facet._field,
                label=facet._label,
                interval=facet._interval,
                format=facet._format,
                separator=facet._separator,
                hard_bounds=facet._hard_bounds,
            )
        facets[name] = {**definition, "facet": facet}
    return facets
