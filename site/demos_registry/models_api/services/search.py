"""The searches of the models service: filters, tag counts, and options without facet counts."""

from functools import lru_cache

from invenio_records_resources.services.records.params import FacetsParam
from invenio_records_resources.services.records.params.base import ParamInterpreter
from invenio_search.engine import dsl

from ...custom_fields.config import MODEL_RESOURCE_TYPE
from ...quality.config import QUALITY_SORT_OPTIONS
from ...quality.dumper import SCORE_FIELD
from ...registry_entries.entries import EntryError, vocabulary_id
from .regex import regex_filter

GOLDEN_STATUSES = ("passed", "overridden")
"""Validation statuses of the models on the golden list."""

FILTER_FACETS = {
    "domain": "domain",
    "engine": "engine",
    "status": "validation",
    "collaboration": "collaboration",
    "format": "format",
}
"""Filter parameter of the API → facet of the registry's search configuration (tags: see ``tag_filter``)."""

FILTER_VOCABULARIES = {
    "domain": "demosdomains",
    "engine": "demosengines",
    "collaboration": "demoscollaborations",
    "format": "demosformats",
}
"""Filters whose values may be given as shown (a title such as "ATLAS"), an id or an alias."""

QUALITY_SORT = QUALITY_SORT_OPTIONS["quality"]
"""``sort=quality``: the indexed score (quality/dumper.py), newest first among equals."""

TAG_AGGREGATION = "demos_tag_counts"
TAG_BUCKETS = 1000
"""Most used tags counted per autocomplete query (the prefix is matched among them)."""


def models_only():
    """Records that are DEMOS models."""
    return dsl.Q("term", **{"metadata.resource_type.id": MODEL_RESOURCE_TYPE})


def model_id_filter(model_id, version=None):
    """The records of a model id (the seed's UUID), or only those of one model version."""
    query = dsl.Q("term", **{"custom_fields.demos:model_id": model_id.lower()})
    if version:
        query &= dsl.Q(
            "bool",
            should=[
                dsl.Q("term", **{"custom_fields.demos:model_version": version}),
                dsl.Q("term", **{"metadata.version": version}),
            ],
            minimum_should_match=1,
        )
    return query


def golden_filter():
    """Published models whose validation passed or was overridden."""
    return models_only() & dsl.Q("terms", **{"custom_fields.demos:validation.status": list(GOLDEN_STATUSES)})


def filter_values(name, values):
    """The stored ids of filter values given as ids, titles or aliases (unknown values stay: they match nothing)."""
    vocabulary = FILTER_VOCABULARIES.get(name)
    if vocabulary is None:
        return [value.lower() for value in values]
    ids = []
    for value in values:
        try:
            ids.append(vocabulary_id(vocabulary, value, name))
        except EntryError:
            ids.append(value)
    return ids


def escape_wildcard(value):
    """A literal value for a wildcard query."""
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def tag_wildcard(pattern):
    """Models with a tag matching a wildcard pattern, compared without regard to case."""
    return dsl.Q("wildcard", **{"custom_fields.demos:tags": {"value": pattern, "case_insensitive": True}})


def tag_filter(tags):
    """Models with any of the tags, compared without regard to case."""
    return dsl.Q("bool", should=[tag_wildcard(escape_wildcard(tag)) for tag in tags], minimum_should_match=1)


def tag_prefix_filter(prefix):
    """Models with a tag starting with ``prefix`` (case-insensitive); every model for an empty prefix."""
    return tag_wildcard(f"{escape_wildcard(prefix)}*") if prefix else dsl.Q("match_all")


def min_quality_filter(score):
    """Models whose indexed quality score is at least ``score``."""
    return dsl.Q("range", **{SCORE_FIELD: {"gte": score}})


def search_params(page, size, q=None, sort=None, filters=None, min_quality=None, regex=None):
    """Records-service search parameters and the extra filter of a page of models.

    Filter values match the way the API shows them, whatever their case: ``ATLAS``
    (a title), ``atlas`` (an id) or ``particle_physics`` (an alias) alike.
    """
    params = {"page": page, "size": size}
    if q:
        params["q"] = q
    if sort:
        params["sort"] = sort
    filters = {name: values for name, values in (filters or {}).items() if values}
    extra_filter = models_only()
    if min_quality is not None:
        extra_filter &= min_quality_filter(min_quality)
    if regex:
        extra_filter &= regex_filter(regex)
    if filters.get("tag"):
        extra_filter &= tag_filter(filters.pop("tag"))
    facets = {FILTER_FACETS[name]: filter_values(name, values) for name, values in filters.items()}
    if facets:
        params["facets"] = facets
    return params, extra_filter


@lru_cache(maxsize=16)
def hits_only(search_options):
    """The records search options whose facets filter but do not count, with ``sort=quality``.

    A page of models has no facet counts, and the aggregations of every facet are most
    of the search server's work for a query.
    """
    interpreters = [
        type(f"FilterOnly{cls.__name__}", (cls,), {"aggregate": lambda self, search: search})
        if isinstance(cls, type) and issubclass(cls, FacetsParam)
        else cls
        for cls in search_options.params_interpreters_cls
    ]
    return type(
        f"HitsOnly{search_options.__name__}",
        (search_options,),
        {
            "params_interpreters_cls": interpreters,
            "sort_options": {**search_options.sort_options, "quality": QUALITY_SORT},
            "available_sort_options": {
                **getattr(search_options, "available_sort_options", search_options.sort_options),
                "quality": QUALITY_SORT,
            },
        },
    )


class TagCountsParam(ParamInterpreter):
    """Adds the terms aggregation of the models' tags to a search."""

    def apply(self, identity, search, params):
        """Count the tags of the matching models."""
        search.aggs.bucket(TAG_AGGREGATION, "terms", field="custom_fields.demos:tags", size=TAG_BUCKETS)
        return search


@lru_cache(maxsize=16)
def tag_counts(search_options):
    """The records search options without facet counts, with the tag counts."""
    hits = hits_only(search_options)
    return type(
        f"TagCounts{search_options.__name__}",
        (hits,),
        {"params_interpreters_cls": [*hits.params_interpreters_cls, TagCountsParam]},
    )
