"""Settings of the quality score for ``demos_registry.config`` (the search UI's sort option)."""

from invenio_i18n import lazy_gettext as _

from .dumper import SCORE_FIELD

QUALITY_SORT_OPTIONS = {
    "quality": {
        "title": _("Quality score"),
        "fields": [{SCORE_FIELD: {"order": "desc", "unmapped_type": "long"}}, "-created"],
    },
}
"""Merged into ``RDM_SORT_OPTIONS`` (config.py) and offered by ``RDM_SEARCH`` (search/config.py): best first."""
