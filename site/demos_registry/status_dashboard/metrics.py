"""What the status dashboard shows, read from where each fact lives.

- submissions and validations: the search index (records and open drafts; a validation is
  counted by its latest verdict, ``demos:validation.updated``);
- queues: the Celery broker (messages waiting per queue); the oldest waiting validation is the
  model whose validation has been ``pending`` (queued, not started) the longest;
- workers: the Celery workers that answer a ping;
- DOI registrations: records whose ``demos:doi_registration`` is pending or rejected;
- API error rate: the answers of ``/api/models`` (api_responses.py).
"""

from datetime import UTC, datetime, timedelta

from celery import current_app as current_celery
from flask import current_app
from invenio_rdm_records.records.api import RDMDraft, RDMRecord
from invenio_search.engine import dsl
from invenio_search.proxies import current_search_client
from invenio_search.utils import build_alias_name
from kombu.exceptions import ChannelError, OperationalError

from ..custom_fields.config import MODEL_RESOURCE_TYPE
from ..validation_runs.queues import validation_queue
from ..validation_runs.state import PENDING
from .api_responses import response_counts

WINDOWS = {"last_hour": timedelta(hours=1), "last_day": timedelta(days=1)}
LISTED_RECORDS = 10
"""Records named per problem (failed validations, DOI registrations), newest first."""

VALIDATION_STATUS = "custom_fields.demos:validation.status"
VALIDATION_UPDATED = "custom_fields.demos:validation.updated"
DOI_STATUS_FIELDS = (
    "custom_fields.demos:doi_registration.version.status",
    "custom_fields.demos:doi_registration.concept.status",
)


def _models(alias):
    """A search over the models of an index alias (records: published; the draft alias: both)."""
    search = dsl.Search(using=current_search_client, index=build_alias_name(alias))
    return search.filter("term", **{"metadata.resource_type.id": MODEL_RESOURCE_TYPE}).extra(
        track_total_hits=True
    )


def _records():
    return _models(RDMRecord.index.search_alias)


def _records_and_drafts():
    return _models(RDMDraft.index.search_alias)


def _record_link(hit, links):
    return {"id": hit["id"], "title": (hit.get("metadata") or {}).get("title"), "links": links(hit["id"])}


def submissions(since):
    """Models published, and drafts still open, created since ``since``."""
    created = dsl.Q("range", created={"gte": since.isoformat()})
    return {
        "published": _records().filter(created).count(),
        "open_drafts": _records_and_drafts().filter(created).filter("term", is_published=False).count(),
    }


def validations(since, links):
    """Latest verdicts given since ``since``, per status, and the models that failed."""
    search = _records_and_drafts().filter("range", **{VALIDATION_UPDATED: {"gte": since.isoformat()}})
    search = search.extra(size=0)
    search.aggs.bucket("status", "terms", field=VALIDATION_STATUS, size=20)
    response = search.execute()
    by_status = {bucket.key: bucket.doc_count for bucket in response.aggregations.status.buckets}
    failed = (
        _records_and_drafts()
        .filter("range", **{VALIDATION_UPDATED: {"gte": since.isoformat()}})
        .filter("term", **{VALIDATION_STATUS: "failed"})
        .sort({VALIDATION_UPDATED: {"order": "desc"}})
        .source(["id", "metadata.title"])[:LISTED_RECORDS]
    )
    return {
        "by_status": by_status,
        "failed": [_record_link(hit.to_dict(), links) for hit in failed.execute()],
    }


def queues():
    """Messages waiting in the validation queue and the general one (None: broker unreachable)."""
    names = [validation_queue(), current_celery.conf.task_default_queue or "celery"]
    lengths = {}
    try:
        with current_celery.connection_for_read() as connection:
            channel = connection.default_channel
            for name in dict.fromkeys(names):
                try:
                    lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:  # the broker knows no such queue (yet): nothing waits in it
                    lengths[name] = 0
    except (OperationalError, OSError) as error:
        current_app.logger.warning("broker unreachable for the status dashboard: %s", error)
        return dict.fromkeys(names)
    return lengths


def oldest_waiting_validation(links):
    """The model waiting longest for its validation to start (status pending), or None."""
    search = (
        _records_and_drafts()
        .filter("term", **{VALIDATION_STATUS: PENDING})
        .filter("exists", field=VALIDATION_UPDATED)
        .sort({VALIDATION_UPDATED: {"order": "asc"}})
        .source(["id", "metadata.title", VALIDATION_UPDATED])[:1]
    )
    for hit in search.execute():
        hit = hit.to_dict()
        queued = hit["custom_fields"]["demos:validation"]["updated"]
        waiting = datetime.now(UTC) - datetime.fromisoformat(queued)
        return {**_record_link(hit, links), "queued": queued, "waiting_seconds": int(waiting.total_seconds())}
    return None


def workers():
    """Celery workers that answer a ping within the health-check timeout."""
    timeout = current_app.config["DEMOS_MODELS_API_HEALTH_TIMEOUT"]
    try:
        return len(current_celery.control.ping(timeout=timeout) or [])
    except (OperationalError, OSError):
        return 0


def doi_registrations(links):
    """Records whose version or concept DOI DataCite has not confirmed: pending (retried) or rejected."""
    result = {}
    for status in ("pending", "rejected"):
        search = (
            _records()
            .query(
                "bool",
                should=[dsl.Q("term", **{field: status}) for field in DOI_STATUS_FIELDS],
                minimum_should_match=1,
            )
            .sort("-updated")
            .source(["id", "metadata.title"])[:LISTED_RECORDS]
        )
        response = search.execute()
        result[status] = {
            "count": response.hits.total.value,
            "records": [_record_link(hit.to_dict(), links) for hit in response],
        }
    return result


def status_report(links):
    """The whole dashboard; ``links(record_id)`` gives the links of a record."""
    now = datetime.now(UTC)
    windows = {
        name: {
            "since": (now - length).isoformat(),
            "submissions": submissions(now - length),
            "validations": validations(now - length, links),
            "api": response_counts(int(length.total_seconds())),
        }
        for name, length in WINDOWS.items()
    }
    return {
        "generated": now.isoformat(),
        **windows,
        "queues": queues(),
        "oldest_waiting_validation": oldest_waiting_validation(links),
        "workers": workers(),
        "doi_registrations": doi_registrations(links),
    }
