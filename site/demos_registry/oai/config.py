"""OAI-PMH settings of the registry; import them into the registry's config.

Set membership is computed per page by ``sets.sets_for_records`` (no percolator),
so the percolator queries invenio-oaiserver would store for every set are not needed.
"""

OAISERVER_RECORD_SETS_FETCHER = "demos_registry.oai.sets:find_sets_for_record"
OAISERVER_REGISTER_SET_SIGNALS = False
"""No percolator per set: membership is asked of the search index when harvested."""
