"""Figures of the front page: published models per domain, validated models, recent and golden models.

They are what an anonymous visitor can find (the search's own permission filter with an
anonymous identity), counted by one search with the registry's facets, and kept in the
cache for ``DEMOS_FRONTPAGE_CACHE_SECONDS`` so that the front page does not aggregate on
every visit.
"""

import logging

from flask import current_app
from flask_principal import AnonymousIdentity
from invenio_access.permissions import any_user, system_identity
from invenio_cache import current_cache
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.engine import dsl
from invenio_vocabularies.proxies import current_service as vocabulary_service

from ..models_api.services.search import GOLDEN_STATUSES, golden_filter, models_only

logger = logging.getLogger(__name__)

CACHE_KEY = "demos-registry:frontpage:stats"
DEFAULT_CACHE_SECONDS = 60
DOMAIN_VOCABULARY = "demosdomains"
DOMAIN_FACET = "domain"
VALIDATION_FACET = "validation"
SHOWN_MODELS = 6
"""Models in each of the lists "recently published" and "golden"."""


def visitor_identity():
    """The identity of an anonymous visitor: the figures count what anyone can find."""
    identity = AnonymousIdentity()
    identity.provides.add(any_user)
    return identity


def bucket_counts(aggregations, facet):
    """``{key: doc_count}`` of a facet of a search result's aggregations."""
    buckets = ((aggregations or {}).get(facet) or {}).get("buckets") or []
    return {bucket["key"]: bucket["doc_count"] for bucket in buckets}


def vocabulary_title(value):
    """The titles (by language) of a vocabulary field's value, or its id."""
    value = value or {}
    return value.get("title") or ({"en": value["id"]} if value.get("id") else {})


def model_summary(hit):
    """What a model card on the front page shows."""
    custom_fields = hit.get("custom_fields") or {}
    metadata = hit.get("metadata") or {}
    return {
        "id": hit["id"],
        "title": metadata.get("title", ""),
        "publication_date": metadata.get("publication_date", ""),
        "version": custom_fields.get("demos:model_version") or metadata.get("version") or "",
        "domain": vocabulary_title(custom_fields.get("demos:domain")),
        "engine": vocabulary_title(custom_fields.get("demos:engine")),
        "format": vocabulary_title(custom_fields.get("demos:format")),
        "validation": {"status": (custom_fields.get("demos:validation") or {}).get("status")},
    }


def domains():
    """The physics domains of the vocabulary, in the order it was loaded: ``[{"id", "title"}]``."""
    result = vocabulary_service.search(system_identity, type=DOMAIN_VOCABULARY, params={"size": 100})
    hits = sorted(result.hits, key=lambda hit: (hit.get("created", ""), hit["id"]))  # the file's order
    return [{"id": hit["id"], "title": hit.get("title") or {"en": hit["id"]}} for hit in hits]


def compute_stats():
    """The front page's figures, computed now (see ``frontpage_stats`` for the cached ones)."""
    identity = visitor_identity()
    recent = current_rdm_records_service.search(
        identity, params={"size": SHOWN_MODELS, "sort": "newest"}, extra_filter=models_only()
    )
    recent_models = [model_summary(hit) for hit in recent.hits]
    aggregations = recent.aggregations
    per_domain = bucket_counts(aggregations, DOMAIN_FACET)
    per_status = bucket_counts(aggregations, VALIDATION_FACET)

    golden_query = golden_filter()
    if recent_models:
        golden_query &= ~dsl.Q("terms", id=[model["id"] for model in recent_models])
    golden = current_rdm_records_service.search(
        identity, params={"size": SHOWN_MODELS, "sort": "newest"}, extra_filter=golden_query
    )
    return {
        "models": recent.total,
        "domains": [{**domain, "count": per_domain.get(domain["id"], 0)} for domain in domains()],
        "validation": per_status,
        "passed": per_status.get("passed", 0),
        "golden_count": sum(per_status.get(status, 0) for status in GOLDEN_STATUSES),
        "recent": recent_models,
        "golden": [model_summary(hit) for hit in golden.hits],
    }


def frontpage_stats():
    """The front page's figures, from the cache when they are fresh; None when search is down."""
    stats = current_cache.get(CACHE_KEY)
    if stats is None:
        try:
            stats = compute_stats()
        except Exception:  # the front page still renders, without figures
            logger.exception("front page figures could not be computed")
            return None
        timeout = current_app.config.get("DEMOS_FRONTPAGE_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
        current_cache.set(CACHE_KEY, stats, timeout=timeout)
    return stats


def forget_stats():
    """Drop the cached figures (the next front page computes them again)."""
    current_cache.delete(CACHE_KEY)
