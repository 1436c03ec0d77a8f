"""Settings of the quality score for ``demos_registry.config`` (the search UI's sort option)."""

from invenio_i18n import lazy_gettext as _

from .dumper import SCORE_FIELD

QUALITY_SORT_OPTIONS = {
    "quality": {
        "title": _("Quality score"),
        "fields": [{SCORE_FIELD: {"order": "desc", "unmapped_type": "long"}}, "-created"],
    },
}
"""Merge into ``RDM_SORT_OPTIONS`` and add ``"quality"`` to ``RDM_SEARCH["sort"]``: best first in the search UI."""
