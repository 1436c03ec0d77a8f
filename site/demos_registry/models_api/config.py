"""Settings of the ``/api/models`` API (imported by ``demos_registry.config``).

Every value can be overridden with an ``INVENIO_<NAME>`` environment variable.
"""

DEMOS_MODELS_API_RATELIMIT = "120 per minute;2000 per hour"
"""Budget of one anonymous client (by IP address) across all ``/api/models`` endpoints."""

DEMOS_MODELS_API_RATELIMIT_AUTHENTICATED = "600 per minute;20000 per hour"
"""Budget of one authenticated user (by user id) across all ``/api/models`` endpoints."""

DEMOS_MODELS_API_MAX_PAGE_SIZE = 100
"""Largest ``size`` a list, search or filter page may ask for."""

DEMOS_MODELS_API_MAX_UPLOAD_FILES = 20
"""Most files one ``POST /api/models`` may carry."""

DEMOS_MODELS_API_HEALTH_TIMEOUT = 2.0
"""Seconds each health check (broker, worker ping) may take before it counts as down."""

DEMOS_MODELS_API_REMOVAL_REASON = "retracted"
"""Removal reason (``removalreasons`` vocabulary) of a DELETE that names none."""

DEMOS_MODELS_API_PUBLISH_WAIT = 60
"""Seconds a POST with ?publish=true waits for the validation verdict before answering 409."""

DEMOS_MODELS_API_CONVERSION_MAX_BYTES = 50 * 1024 * 1024
"""Largest model file ``GET /api/models/{id}/file?format=hs3|pyhf`` translates (parsed in the web process)."""

DEMOS_MODELS_API_LINEAGE_MAX_POINTS = 500
"""Most signal points ``GET /api/models/{id}/lineage`` shows as nodes (the rest are counted)."""

DEMOS_MODELS_API_LINEAGE_MAX_VERSIONS = 100
"""Most versions ``GET /api/models/{id}/lineage`` shows (the newest)."""
