"""DEMOS Model Registry configuration.

Loaded through the ``invenio_config.module`` entry point *after* invenio-app-rdm's
defaults and *before* ``invenio.cfg`` and the ``INVENIO_*`` environment variables,
so every value here can be overridden per deployment without editing code.

The service addresses are derived from a handful of environment variables
(``INVENIO_DATABASE_URL``, ``INVENIO_REDIS_URL``, ``INVENIO_BROKER_URL``,
``INVENIO_SITE_HOSTNAME``) so that ``scripts/run`` and docker-compose only need
to set those (plus ``INVENIO_SEARCH_HOSTS``); each derived setting keeps its own
``INVENIO_<NAME>`` override as well.
"""

import os
from datetime import datetime, timedelta

from invenio_app_rdm import __version__ as invenio_app_rdm_version
from invenio_app_rdm.config import CELERY_BEAT_SCHEDULE
from invenio_i18n import lazy_gettext as _
from invenio_rdm_records.config import RDM_SORT_OPTIONS as INVENIO_SORT_OPTIONS
from invenio_rdm_records.services.components import (
    CustomFieldsComponent,
    DefaultRecordsComponents,
)
from invenio_records_resources.services.files.config import FileServiceConfig

from . import __version__
from .curator_checks.config import (  # noqa: F401  (invenio-checks on community requests)
    CHECKS_ENABLED,
    RDM_COMMUNITY_INCLUSION_REQUEST_CLS,
    RDM_COMMUNITY_SUBMISSION_REQUEST_CLS,
)
from .custom_fields.components import (
    DemosCustomFieldsComponent,
    DemosFieldsComponent,
    DraftRowLockComponent,
    FileChecksumComponent,
    FileNameComponent,
    ImportedFilesValidationComponent,
)
from .custom_fields.config import (
    DEMOS_CUSTOM_FIELDS,
    DEMOS_CUSTOM_FIELDS_UI,
    DEMOS_NAMESPACE,
)
from .doi.config import (  # noqa: F401  (settings re-exported to Invenio)
    APP_RDM_RECORD_EXPORTERS,
    DATACITE_DATACENTER_SYMBOL,
    DATACITE_ENABLED,
    DATACITE_PASSWORD,
    DATACITE_PREFIX,
    DATACITE_TEST_MODE,
    DATACITE_TIMEOUT,
    DATACITE_URL,
    DATACITE_USERNAME,
    DEMOS_DOI_RETRY_BASE_DELAY,
    DEMOS_DOI_RETRY_MAX_DELAY,
    DOI_CELERY_BEAT_SCHEDULE,
    DOI_CUSTOM_FIELDS,
    RDM_PARENT_PERSISTENT_IDENTIFIER_PROVIDERS,
    RDM_PARENT_PERSISTENT_IDENTIFIERS,
    RDM_PERSISTENT_IDENTIFIER_PROVIDERS,
    RDM_PERSISTENT_IDENTIFIERS,
    RDM_RECORDS_SERIALIZERS,
)
from .models_api.config import (  # noqa: F401  (settings of /api/models; INVENIO_* overrides them)
    DEMOS_MODELS_API_HEALTH_TIMEOUT,
    DEMOS_MODELS_API_MAX_PAGE_SIZE,
    DEMOS_MODELS_API_MAX_UPLOAD_FILES,
    DEMOS_MODELS_API_PUBLISH_WAIT,
    DEMOS_MODELS_API_RATELIMIT,
    DEMOS_MODELS_API_RATELIMIT_AUTHENTICATED,
    DEMOS_MODELS_API_REMOVAL_REASON,
)
from .oai.config import (  # noqa: F401
    OAISERVER_METADATA_FORMATS,
    OAISERVER_RECORD_SETS_FETCHER,
    OAISERVER_REGISTER_SET_SIGNALS,
)
from .permissions import DemosRecordPermissionPolicy
from .quality.config import QUALITY_SORT_OPTIONS
from .records_ui.config import (
    DEMOS_DETAIL_SIDE_BAR_TEMPLATES,
    DEMOS_RECORD_LANDING_PAGE_TEMPLATE,
)
from .search.aggregations import RegistryCommunityRecordSearchOptions, RegistrySearchOptions
from .search.config import REGISTRY_SEARCH, REGISTRY_SEARCH_DRAFTS, registry_facets


def _env(name, default):
    """Read an ``INVENIO_<name>`` environment variable."""
    return os.environ.get(f"INVENIO_{name}", default)


def _redis_db(number):
    """URL of one logical Redis database on the configured Redis server."""
    return f"{REDIS_URL.rstrip('/')}/{number}"


# Services
# ========
SITE_HOSTNAME = _env("SITE_HOSTNAME", "127.0.0.1:5000")
SITE_UI_URL = f"https://{SITE_HOSTNAME}"
SITE_API_URL = f"https://{SITE_HOSTNAME}/api"
TRUSTED_HOSTS = ["127.0.0.1", "localhost", "0.0.0.0", SITE_HOSTNAME.split(":")[0]]

SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", "postgresql+psycopg2://demos:demos@localhost:5432/demos")
SQLALCHEMY_ENGINE_OPTIONS = {
    # A dropped connection (database restart, idle timeout) is replaced instead
    # of failing the next request.
    "pool_pre_ping": True,
    "pool_recycle": 3600,
}

REDIS_URL = _env("REDIS_URL", "redis://localhost:6379")
CACHE_TYPE = "RedisCache"  # not "redis": the CLI would hide its db/index groups
CACHE_REDIS_URL = _redis_db(0)
ACCOUNTS_SESSION_REDIS_URL = _redis_db(1)
CELERY_RESULT_BACKEND = _redis_db(2)
RATELIMIT_STORAGE_URI = _redis_db(3)
COMMUNITIES_IDENTITIES_CACHE_REDIS_URL = _redis_db(4)
IIIF_CACHE_REDIS_URL = _redis_db(0)
# Who holds an action: read from the cache once per request, not once per permission check.
ACCESS_CACHE = "demos_registry.access_cache:access_cache"

BROKER_URL = _env("BROKER_URL", _redis_db(5))
CELERY_BROKER_URL = BROKER_URL
QUEUES_BROKER_URL = BROKER_URL

# Celery delivery of long tasks (a killed worker's validation is delivered again)
# ===============================================================================
# RabbitMQ hands an unacknowledged message to another worker as soon as the killed
# worker's connection drops. Redis cannot see that: it delivers the message again
# once it has been unacknowledged for ``visibility_timeout`` seconds. That timeout
# must exceed the longest time a message legitimately stays unacknowledged, i.e.
# validate_model's hard time limit (960 s), or a running validation is started twice.
# Override with INVENIO_CELERY_BROKER_TRANSPORT_OPTIONS="{'visibility_timeout': ...}".
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1800}
# One message reserved per worker process: a late-acknowledged message waiting behind a
# long validation in a prefetch buffer would otherwise outlive the visibility timeout.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

SEARCH_HOSTS = [{"host": "localhost", "port": 9200}]
SEARCH_INDEX_PREFIX = "demos-"
DEMOS_EMBEDDED_SEARCH = _env("DEMOS_EMBEDDED_SEARCH", "False") == "True"
# A bulk request into an embedded osmem-server index of thousands of documents takes
# seconds (a reindex of 10,000 models: over 10 s per batch of 500). invenio-indexer
# acknowledges the queued messages before it sends the batch, so at Invenio's 10 s
# ceiling a timed-out batch was gone from search until the next reindex.
INDEXER_BULK_REQUEST_TIMEOUT = 300 if DEMOS_EMBEDDED_SEARCH else 10

# Security: headers, cookies, CSRF and request limits
# ====================================================
# Production defaults: HTTPS only (redirect, HSTS), session and remember-me cookies
# Secure + HttpOnly + SameSite=Lax, CSRF checks on forms and on the REST API for
# session-cookie callers, and a Content-Security-Policy the pages work with (the React
# apps need inline styles and blob: workers, never inline scripts). INVENIO_DEMOS_HTTPS=False
# is for a plain-HTTP development server only (cookies then travel unencrypted); every
# setting keeps its own INVENIO_<NAME> override. Threats and mitigations: docs/threat-model.md.
SECRET_KEY = "CHANGE_ME"
DEMOS_HTTPS = str(_env("DEMOS_HTTPS", "True")) == "True"
DEMOS_HSTS_MAX_AGE = int(_env("DEMOS_HSTS_MAX_AGE", 31556926))
DEMOS_CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'", "data:", "'unsafe-inline'", "blob:"],
    "script-src": ["'self'", "blob:", "'wasm-unsafe-eval'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'self'"],
}
APP_DEFAULT_SECURE_HEADERS = {
    "content_security_policy": DEMOS_CONTENT_SECURITY_POLICY,
    "content_security_policy_report_only": False,
    "content_security_policy_report_uri": None,
    "force_file_save": False,
    "force_https": DEMOS_HTTPS,
    "force_https_permanent": False,
    "frame_options": "sameorigin",
    "frame_options_allow_from": None,
    "referrer_policy": "strict-origin-when-cross-origin",
    "session_cookie_http_only": True,
    "session_cookie_samesite": "Lax",
    "session_cookie_secure": DEMOS_HTTPS,
    "strict_transport_security": DEMOS_HTTPS,
    "strict_transport_security_include_subdomains": True,
    "strict_transport_security_max_age": DEMOS_HSTS_MAX_AGE,
    "strict_transport_security_preload": False,
    "x_content_type_options": True,
}
SESSION_COOKIE_SECURE = DEMOS_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = DEMOS_HTTPS
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
WTF_CSRF_ENABLED = True
REST_CSRF_ENABLED = True

DEMOS_MAX_FILE_SIZE = int(_env("DEMOS_MAX_FILE_SIZE", 200 * 1024 * 1024))
"""Largest model file (bytes): what the validation engine accepts (validation_engine/limits.py)."""
RDM_FILES_DEFAULT_MAX_FILE_SIZE = DEMOS_MAX_FILE_SIZE
RDM_FILES_DEFAULT_QUOTA_SIZE = int(_env("DEMOS_RECORD_QUOTA", 1024 * 1024 * 1024))
"""Bytes of all files of one record: what the engine unpacks at most."""
APP_RDM_DEPOSIT_FORM_QUOTA = {"maxFiles": 100, "maxStorage": RDM_FILES_DEFAULT_QUOTA_SIZE}
MAX_CONTENT_LENGTH = DEMOS_MAX_FILE_SIZE + 1024 * 1024
"""Largest request: one file upload (or a /api/models multipart upload) plus its envelope."""
DEMOS_MAX_JSON_BODY_BYTES = int(_env("DEMOS_MAX_JSON_BODY_BYTES", 2 * 1024 * 1024))
"""Largest JSON body (record metadata); larger ones get 413 (request_limits.py)."""
DEMOS_MAX_JSON_DEPTH = 64
"""Deepest nesting of a JSON body; deeper ones get 400 (request_limits.py)."""
DEMOS_MAX_JSON_ARRAY_ITEMS = 5000
"""Longest list in a JSON body (a large collaboration has ~3000 authors); longer ones get 400."""

ACCOUNTS_LOCAL_LOGIN_ENABLED = True
SECURITY_REGISTERABLE = True
SECURITY_RECOVERABLE = True
SECURITY_CHANGEABLE = True
SECURITY_CONFIRMABLE = True
SECURITY_LOGIN_WITHOUT_CONFIRMATION = False
USERPROFILES_READ_ONLY = False
OAUTHCLIENT_REMOTE_APPS = {}

# Mail and sign-up
# =================
# Nothing is sent unless an SMTP server is configured: on the embedded default
# (scripts/run) every message (sign-up confirmation, password reset, ...) is written as
# an .eml file into DEMOS_MAIL_SINK_FOLDER (mail_sink/), the folder scripts/run names.
# Production (docker-compose.yml) empties the folder and sends through SMTP:
# INVENIO_MAIL_SERVER, _PORT, _USE_TLS, _USERNAME, _PASSWORD, _DEFAULT_SENDER and
# INVENIO_MAIL_SUPPRESS_SEND=False (README, Configuration).
MAIL_SUPPRESS_SEND = True
MAIL_DEFAULT_SENDER = "noreply@demos.local"
DEMOS_MAIL_SINK_FOLDER = "mail"
"""Folder the .eml files of outgoing mail are written to; relative: inside the instance folder; empty: off."""
DEMOS_EMAIL_ALLOWED_SPECIAL_DOMAINS = ["local"]
"""Special-use domains email_validator refuses that the account forms accept (``@demos.local``); [] : none."""
SECURITY_EMAIL_SUBJECT_REGISTER = _("Welcome to the DEMOS Model Registry!")
SECURITY_REGISTER_USER_TEMPLATE = "invenio_accounts/demos_register_user.html"
"""The stock sign-up page with its heading's article fixed (templates/semantic-ui/invenio_accounts/)."""

# Theme and deposit form
# ======================
# Plain strings: OAI-PMH's Identify serialises the site name with lxml.
THEME_SITENAME = "DEMOS Model Registry"
THEME_FRONTPAGE_TITLE = "DEMOS Model Registry"
THEME_FRONTPAGE_SUBTITLE = _("Publish, find, cite and trust statistical models of physics results.")
THEME_LOGO = "images/demos-logo.svg"
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
I18N_LANGUAGES = [("de", _("German"))]

APP_RDM_ADMIN_EMAIL_RECIPIENT = "admin@demos.local"
APP_RDM_DEPOSIT_FORM_DEFAULTS = {
    "publication_date": lambda: datetime.now().strftime("%Y-%m-%d"),
    "rights": [
        {
            "id": "cc-by-4.0",
            "title": "Creative Commons Attribution 4.0 International",
            "description": (
                "The Creative Commons Attribution license allows re-distribution "
                "and re-use of a licensed work on the condition that the creator "
                "is appropriately credited."
            ),
            "link": "https://creativecommons.org/licenses/by/4.0/legalcode",
        }
    ],
    "publisher": "DEMOS Model Registry",
}
APP_RDM_DEPOSIT_FORM_AUTOCOMPLETE_NAMES = "search"
RDM_COMMUNITY_REQUIRED_TO_PUBLISH = True
"""Every model is reviewed: a researcher submits it to a domain community, whose curators
publish it (administrators may still publish directly). ``INVENIO_RDM_COMMUNITY_REQUIRED_TO_PUBLISH=False``
lets owners publish without review (an open registry)."""

# OAI-PMH
# =======
OAISERVER_ID_PREFIX = "demos.registry"
OAISERVER_REPOSITORY_NAME = THEME_SITENAME
OAISERVER_ADMIN_EMAILS = [APP_RDM_ADMIN_EMAIL_RECIPIENT]

ADMINISTRATION_DISPLAY_VERSIONS = [
    ("invenio-app-rdm", f"v{invenio_app_rdm_version}"),
    ("demos-registry", f"v{__version__}"),
]

STATS_EVENTS_UTC_DATETIME_ENABLED = True

# DEMOS model records
# ===================
RDM_NAMESPACES = DEMOS_NAMESPACE
RDM_CUSTOM_FIELDS = [*DEMOS_CUSTOM_FIELDS, *DOI_CUSTOM_FIELDS]
RDM_CUSTOM_FIELDS_UI = [DEMOS_CUSTOM_FIELDS_UI]
# First: it must see (and fix) the submitted data before Invenio copies it to the draft.
# Last: ImportedFilesValidationComponent acts on the files Invenio has just imported.
RDM_RECORDS_SERVICE_COMPONENTS = [
    DemosFieldsComponent,
    *(DemosCustomFieldsComponent if c is CustomFieldsComponent else c for c in DefaultRecordsComponents),
    ImportedFilesValidationComponent,
]
RDM_DRAFT_FILES_SERVICE_COMPONENTS = [
    FileNameComponent,
    DraftRowLockComponent,
    *FileServiceConfig.components,
    FileChecksumComponent,
]
RDM_FACETS = registry_facets(embedded_search=DEMOS_EMBEDDED_SEARCH)
RDM_PERMISSION_POLICY = DemosRecordPermissionPolicy
RDM_SEARCH = REGISTRY_SEARCH
RDM_SORT_OPTIONS = {**INVENIO_SORT_OPTIONS, **QUALITY_SORT_OPTIONS}
RDM_SEARCH_DRAFTS = REGISTRY_SEARCH_DRAFTS
# Facet counts asked apart from the hits and kept until the index changes (search/aggregations.py).
RDM_SEARCH_OPTIONS_CLS = RegistrySearchOptions
RDM_COMMUNITY_RECORD_SEARCH_OPTIONS_CLS = RegistryCommunityRecordSearchOptions
APP_RDM_RECORD_LANDING_PAGE_TEMPLATE = DEMOS_RECORD_LANDING_PAGE_TEMPLATE
APP_RDM_DETAIL_SIDE_BAR_TEMPLATES = DEMOS_DETAIL_SIDE_BAR_TEMPLATES

# Model validation
# ================
DEMOS_VALIDATION_LIMITS = None
"""Sandbox limits of the validation engine (dict, see validation_engine/limits.py); None = defaults."""
DEMOS_VALIDATION_INLINE_PATCH_POINTS = 20
"""Signal points of a patchset evaluated in the validation run itself; the rest fan out to the workers."""
DEMOS_VALIDATION_POINTS_PER_CHUNK = 25
"""Signal points per Celery task when a patchset's points fan out (validation_runs/patch_points.py)."""
DEMOS_VALIDATION_MAX_PATCH_POINTS = None
"""Most signal points evaluated per model (None: all); beyond it the verdict says they were not evaluated."""
DEMOS_VALIDATION_QUEUE = "validation"
"""Celery queue of the validation tasks (validation_runs/queues.py); validation workers consume it."""
CELERY_TASK_ROUTES = ("demos_registry.validation_runs.queues.route_task",)
DEMOS_VALIDATION_STALE_AFTER = timedelta(minutes=20)
"""A validation pending or running longer than this is queued again by the beat task (then after 2×, 4×, ... a day)."""
DEMOS_VALIDATION_SWEEP_PAGE_SIZE = 100
"""Stale validations read per search page by the sweep (it walks all pages)."""
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    **DOI_CELERY_BEAT_SCHEDULE,
    "demos-requeue-stale-validations": {
        "task": "demos_registry.validation_runs.tasks.requeue_stale_validations",
        "schedule": timedelta(minutes=5),
    },
}

# Personal access tokens
# ======================
DEMOS_PERSONAL_TOKEN_MAX_LIFETIME_DAYS = 365
"""A personal access token expires this many days after it was made (None: never, as Invenio's default)."""
