"""The models service: DEMOS-shaped operations on top of InvenioRDM's records service.

No data of its own: every read, search, write and permission check goes through
``current_rdm_records_service`` with the caller's identity, so the API sees
exactly what the web UI and ``/api/records`` see.
"""

import json
import tempfile
import time
from datetime import UTC, date, datetime
from functools import lru_cache

from flask import current_app
from invenio_db import db
from invenio_pidstore.errors import PIDDoesNotExistError, PIDUnregistered
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_records_resources.services.errors import (
    PermissionDeniedError,
    RecordPermissionDeniedError,
)
from invenio_records_resources.services.records.params import FacetsParam
from invenio_records_resources.services.records.params.base import ParamInterpreter
from invenio_search.engine import dsl
from invenio_vocabularies.records.api import Vocabulary
from marshmallow import ValidationError
from sqlalchemy.orm.exc import NoResultFound

from ..custom_fields.config import MODEL_RESOURCE_TYPE
from ..model_validation.plots import media_files_url, with_content_urls
from ..model_validation.service import revalidate
from ..registry_entries.entries import (
    EntryError,
    record_data,
    registry_entry,
    vocabulary_id,
)
from ..submissions.entry import record_data_of_entry, valid_uuid
from ..submissions.service import Idempotency, submit
from ..submissions.uploads import remove, spool

GOLDEN_STATUSES = ("passed", "overridden")
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

ENTRY_FIELD_PATHS = {
    "name": [("metadata", "title")],
    "description": [("metadata", "description")],
    "version": [("metadata", "version"), ("custom_fields", "demos:model_version")],
    "creators": [("metadata", "creators")],
    "license": [("metadata", "rights")],
    "domain": [("custom_fields", "demos:domain")],
    "engine": [("custom_fields", "demos:engine")],
    "format": [("custom_fields", "demos:format")],
    "collaboration": [("custom_fields", "demos:collaboration")],
    "reference_points": [("custom_fields", "demos:reference_points")],
    "doi": [("custom_fields", "demos:external_references")],
    "external_references": [("custom_fields", "demos:external_references")],
    "model_selection": [("custom_fields", "demos:model_selection")],
    "expected_outputs": [("custom_fields", "demos:expected_outputs")],
    "metadata": [
        ("custom_fields", "demos:tags"),
        ("custom_fields", "demos:search_keywords"),
        ("custom_fields", "demos:citations"),
    ],
}
"""Which parts of the record data a registry-entry key of a PUT replaces."""

class ModelNotFound(PIDDoesNotExistError):
    """A record that is not a DEMOS model is not found under /api/models."""

    def __init__(self, id_):
        """Not found as a model."""
        super().__init__("recid", id_)


class NothingToVisualize(LookupError):
    """The model has no validation report with plots or parameters yet."""


class MissingFiles(ValidationError):
    """A model upload without a model file."""


def field_error(field, message):
    """A marshmallow error naming one field, rendered as 400 with that field."""
    return ValidationError({field: [message]})


def is_record_shape(payload):
    """True for Invenio record data, False for a registry entry."""
    metadata = payload.get("metadata")
    return "custom_fields" in payload or "access" in payload or (
        isinstance(metadata, dict) and ("title" in metadata or "resource_type" in metadata)
    )


def entry_to_record_data(entry):
    """Record data of a model's changed registry entry (a PUT), every problem in one 400."""
    try:
        return record_data(entry)
    except EntryError as error:
        raise ValidationError(error.messages) from error


def new_record_data(payload, uploads):
    """Record data of a new model from either accepted shape, and notes on what the registry did."""
    if not isinstance(payload, dict):
        raise field_error("metadata", "Must be a JSON object.")
    if not is_record_shape(payload):
        try:
            return record_data_of_entry(payload, uploads)
        except EntryError as error:
            raise ValidationError(error.messages) from error
    data = json.loads(json.dumps(payload))
    data.setdefault("access", {"record": "public", "files": "public"})
    data["files"] = {"enabled": True}
    metadata = data.setdefault("metadata", {})
    metadata.setdefault("resource_type", {"id": MODEL_RESOURCE_TYPE})
    metadata.setdefault("publication_date", date.today().isoformat())
    metadata.setdefault("publisher", "DEMOS Model Registry")
    return data, {}


def merged_record_data(current, payload):
    """The draft data after a PUT: only what the payload names changes."""
    data = {key: current[key] for key in ("access", "files", "metadata", "custom_fields") if key in current}
    data = json.loads(json.dumps(data))
    if is_record_shape(payload):
        for section in ("metadata", "custom_fields", "access"):
            if isinstance(payload.get(section), dict):
                data.setdefault(section, {}).update(payload[section])
        return data
    unknown = sorted(set(payload) - set(ENTRY_FIELD_PATHS))
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in unknown})
    entry = {
        **registry_entry(current, ""),
        "description": current.get("metadata", {}).get("description", ""),
        **payload,
    }
    if "metadata" in payload:
        entry["metadata"] = {**registry_entry(current, "")["metadata"], **payload["metadata"]}
    replacement = entry_to_record_data(entry)
    for key in payload:
        for section, name in ENTRY_FIELD_PATHS[key]:
            if name in replacement[section]:
                data.setdefault(section, {})[name] = replacement[section][name]
    return data


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


def tag_filter(tags):
    """Models with any of the tags, compared without regard to case."""
    return dsl.Q(
        "bool",
        should=[
            dsl.Q("wildcard", **{"custom_fields.demos:tags": {"value": escape_wildcard(tag), "case_insensitive": True}})
            for tag in tags
        ],
        minimum_should_match=1,
    )


def escape_wildcard(value):
    """A literal value for a wildcard query."""
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


class VocabularyTitles:
    """English titles of vocabulary entries, kept per process for a few minutes.

    The DEMOS shape names a model's collaboration by its title, which the stored
    record does not hold (only the id); vocabularies change rarely, so a title may
    be up to ``ttl`` seconds old rather than cost a database query per request.
    """

    def __init__(self, ttl=300):
        """An empty cache whose entries live ``ttl`` seconds."""
        self.ttl = ttl
        self._titles = {}

    def get(self, vocabulary, id_):
        """The English title of an entry (None if it has none or does not exist)."""
        key = (vocabulary, id_)
        cached = self._titles.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            title = Vocabulary.pid.with_type_ctx(vocabulary).resolve(id_).get("title", {}).get("en")
        except PIDDoesNotExistError:
            title = None
        self._titles[key] = (time.monotonic() + self.ttl, title)
        return title


def files_entries(entries):
    """File keys of a record, from its stored (dict) or indexed (list) ``files.entries``."""
    keys = entries.keys() if isinstance(entries, dict) else (entry["key"] for entry in entries)
    return {key: {"key": key} for key in keys}


@lru_cache(maxsize=16)
def hits_only(search_options):
    """The records search options whose facets filter but do not count.

    A page of models has no facet counts, and the aggregations of every facet are most
    of the search server's work for a query.
    """
    interpreters = [
        type(f"FilterOnly{cls.__name__}", (cls,), {"aggregate": lambda self, search: search})
        if isinstance(cls, type) and issubclass(cls, FacetsParam)
        else cls
        for cls in search_options.params_interpreters_cls
    ]
    return type(f"HitsOnly{search_options.__name__}", (search_options,), {"params_interpreters_cls": interpreters})


TAG_AGGREGATION = "demos_tag_counts"
TAG_BUCKETS = 1000
"""Most used tags counted per autocomplete query (the prefix is matched among them)."""


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
    return type(f"TagCounts{search_options.__name__}", (hits,), {
        "params_interpreters_cls": [*hits.params_interpreters_cls, TagCountsParam]
    })


def indexed_documents(result):
    """The search documents of a records search or scan, without Invenio's per-hit serialisation.

    ``RecordList.hits`` loads and dumps every hit through the full RDM schema; the
    raw response is only reachable through its ``_results``.
    """
    for hit in result._results:
        yield hit.to_dict()


class ModelsService:
    """List, search, read, create, update and delete DEMOS models."""

    def __init__(self, records_service=None):
        """Work through the given records service (Invenio's RDM service by default)."""
        self._records_service = records_service
        self.vocabulary_titles = VocabularyTitles()

    @property
    def records(self):
        """InvenioRDM's records service."""
        return self._records_service or current_rdm_records_service

    # Reading
    # -------
    def search(self, identity, page, size, q=None, sort=None, filters=None):
        """One page of the published models the identity may see; returns (hits, total).

        Filter values match the way the API shows them, whatever their case: ``ATLAS``
        (a title), ``atlas`` (an id) or ``particle_physics`` (an alias) alike.
        """
        params = {"page": page, "size": size}
        if q:
            params["q"] = q
        if sort:
            params["sort"] = sort
        filters = {name: values for name, values in (filters or {}).items() if values}
        extra_filter = self._models_only()
        if filters.get("tag"):
            extra_filter &= tag_filter(filters.pop("tag"))
        facets = {FILTER_FACETS[name]: filter_values(name, values) for name, values in filters.items()}
        if facets:
            params["facets"] = facets
        result = self.records.search(
            identity,
            params=params,
            extra_filter=extra_filter,
            search_opts=hits_only(self.records.config.search),
        )
        return [self._hit_view(identity, hit) for hit in indexed_documents(result)], result.total

    def record_id(self, identity, id_, version=None):
        """The record id of a model addressed by record id or by its model id (a UUID).

        A model id names the model across its versions: the latest published one, or
        the one whose model version is ``version``; else the identity's newest draft.
        """
        if not valid_uuid(id_):
            return id_
        model = dsl.Q("term", **{"custom_fields.demos:model_id": id_.lower()})
        if version:
            model &= dsl.Q(
                "bool",
                should=[
                    dsl.Q("term", **{"custom_fields.demos:model_version": version}),
                    dsl.Q("term", **{"metadata.version": version}),
                ],
                minimum_should_match=1,
            )
        params = {"size": 1, "sort": "newest", "allversions": bool(version)}
        result = self.records.search(
            identity, params=params, extra_filter=model, search_opts=hits_only(self.records.config.search)
        )
        for hit in indexed_documents(result):
            return hit["id"]
        if identity.id is not None:
            drafts = self.records.search_drafts(identity, params={"size": 1, "sort": "newest"}, extra_filter=model)
            for hit in drafts.hits:
                return hit["id"]
        raise ModelNotFound(id_)

    def read(self, identity, id_):
        """A published model, or the identity's own unpublished draft of one (as a dict)."""
        try:
            record = self._record_view(identity, self._readable_record(identity, id_))
        except (PIDDoesNotExistError, PIDUnregistered, NoResultFound):
            try:
                record = self.records.read_draft(identity, id_).to_dict()
            except (PIDDoesNotExistError, NoResultFound):
                raise ModelNotFound(id_)
        if record.get("metadata", {}).get("resource_type", {}).get("id") != MODEL_RESOURCE_TYPE:
            raise ModelNotFound(id_)
        return record

    def file_item(self, identity, record, key=None):
        """The file service item of a model's file: ``key``, else its selected file, else the first."""
        files = sorted(record.get("files", {}).get("entries", {}))
        selected = record.get("custom_fields", {}).get("demos:model_selection", {}).get("file")
        key = key or (selected if selected in files else None) or (files[0] if files else None)
        if key is None or key not in files:
            raise FileNotFoundError(key)
        files_service = self.records.files if record.get("is_published") else self.records.draft_files
        return files_service.get_file_content(identity, record["id"], key)

    def visualization(self, record):
        """Plots, parameters and facts of the model's last validation report."""
        validation = record.get("custom_fields", {}).get("demos:validation") or {}
        report = validation.get("report") or {}
        facts = report.get("facts") or []
        parameters = [p for fact in facts for p in fact.get("parameters", [])]
        plots = with_content_urls(
            report.get("plots") or validation.get("plots") or [],
            media_files_url(record["id"], record.get("is_published")),
        )
        if not (plots or parameters):
            reason = (
                "the model has not been validated yet"
                if not validation
                else "the last validation produced no plots or parameters"
            )
            raise NothingToVisualize(reason)
        return {
            "id": record["id"],
            "status": validation.get("status"),
            "plots": plots,
            "parameters": parameters,
            "facts": facts,
        }

    def golden(self, identity):
        """Registry entries of every published model whose validation passed (or was overridden)."""
        extra_filter = self._models_only() & dsl.Q(
            "terms", **{"custom_fields.demos:validation.status": list(GOLDEN_STATUSES)}
        )
        base_url = current_app.config["SITE_UI_URL"]
        hits = indexed_documents(self.records.scan(identity, extra_filter=extra_filter))
        entries = [registry_entry(self._hit_view(identity, hit), base_url) for hit in hits]
        entries.sort(key=lambda entry: (entry["domain"] or "", entry["name"] or "", entry["version"] or ""))
        return {
            "generated": datetime.now(UTC).isoformat(),
            "count": len(entries),
            "models": entries,
        }

    def tags(self, identity, prefix, size):
        """The most used tags starting with ``prefix`` (case-insensitive), with their counts.

        Counted by the search engine (a terms aggregation over the models that have such a
        tag), not by reading every record.
        """
        extra_filter = self._models_only()
        if prefix:
            extra_filter &= dsl.Q(
                "wildcard",
                **{"custom_fields.demos:tags": {"value": f"{escape_wildcard(prefix)}*", "case_insensitive": True}},
            )
        result = self.records.search(
            identity, params={"size": 1}, extra_filter=extra_filter, search_opts=tag_counts(self.records.config.search)
        )
        buckets = result._results.aggregations.to_dict().get(TAG_AGGREGATION, {}).get("buckets", [])
        counts = [(b["key"], b["doc_count"]) for b in buckets if b["key"].lower().startswith(prefix.lower())]
        ranked = sorted(counts, key=lambda item: (-item[1], item[0].lower()))[:size]
        return [{"tag": tag, "count": count} for tag, count in ranked]

    def count_by_domain(self, identity):
        """Published models per domain that the identity may see."""
        result = self.records.search(
            identity, params={"size": 1}, extra_filter=self._models_only()
        ).to_dict()
        buckets = result.get("aggregations", {}).get("domain", {}).get("buckets", [])
        return result["hits"]["total"], {bucket["key"]: bucket["doc_count"] for bucket in buckets}

    # Writing
    # -------
    def create(self, identity, payload, files, publish=False, idempotency_key=None):
        """Create a model with its files, then submit it for review (or publish it).

        ``files`` are ``(name, stream)`` pairs. All or nothing (see submissions.service).
        With an ``idempotency_key`` already used for the same request, nothing is created:
        the model that request made is returned (``notes["replayed"]``).
        Returns (record, request id, notes on what the registry inferred, verified or ignored).
        """
        if not files:
            raise MissingFiles({"file": ["Upload at least one model file."]})
        folder = tempfile.mkdtemp(prefix="demos-submission-")
        try:
            uploads = spool(files, folder)
            idempotency = None
            if idempotency_key:
                idempotency = Idempotency(identity.id, idempotency_key, payload, uploads, publish)
                earlier = idempotency.earlier_record_id()
                if earlier:
                    try:
                        return self.read(identity, earlier), None, {"replayed": True}
                    except ModelNotFound:
                        pass  # its draft was deleted since (e.g. a refused publication): submit anew
            data, notes = new_record_data(payload, uploads)
            record, request_id = submit(identity, data, uploads, publish=publish, idempotency=idempotency)
        finally:
            remove(folder)
        return record, request_id, notes

    def update(self, identity, id_, payload):
        """Change a model's metadata; a published model is edited and republished."""
        if not isinstance(payload, dict) or not payload:
            raise field_error("body", "Send a JSON object with the fields to change.")
        current = self.read(identity, id_)
        published = current.get("is_published", False)
        draft = (self.records.edit if published else self.records.read_draft)(identity, id_)
        data = merged_record_data(draft.to_dict(), payload)
        try:
            self.records.update_draft(identity, id_, data)
            if published:
                return self.records.publish(identity, id_).to_dict()
        except Exception:
            db.session.rollback()
            if published:
                self.records.delete_draft(identity, id_)
            raise
        return self.records.read_draft(identity, id_).to_dict()

    def delete(self, identity, id_, reason=None, note=None):
        """Remove a published model (admin only): Invenio's tombstone, the DOI stays registered."""
        self.read(identity, id_)
        reason = reason or current_app.config["DEMOS_MODELS_API_REMOVAL_REASON"]
        data = {"removal_reason": {"id": reason}, "is_visible": True}
        if note:
            data["note"] = note
        self.records.delete_record(identity, id_, data)

    def queue_validation(self, identity, id_):
        """Queue a new validation of the model (a Celery task); returns its pending state.

        Who may is the record policy's ``revalidate`` (see permissions.py).
        """
        self.read(identity, id_)
        return revalidate(identity, id_)

    # Views of published records
    # --------------------------
    # The DEMOS shape needs a few fields of a record. Invenio's full serialisation
    # (every field of the RDM schema, links, per-field permission checks) is most of
    # the time of a request, so published records are read from their stored JSON
    # (GET) or their search document (search), with the one permission that hides
    # a field, read_files, checked as Invenio checks it.
    def _readable_record(self, identity, id_):
        """The published record, checked as the records service's ``read`` checks it.

        ``read`` would also dereference every vocabulary relation (eight lookups, half of a
        GET's time) that the DEMOS shape does not show; deleted records still go through
        it, so that they answer with Invenio's tombstone.
        """
        record = self.records.record_cls.pid.resolve(id_)
        if record.deletion_status.is_deleted:
            return self.records.read(identity, id_)._record
        try:
            self.records.require_permission(identity, "read", record=record)
        except PermissionDeniedError:
            raise RecordPermissionDeniedError(action_name="read", record=record)
        return record

    def _record_view(self, identity, record):
        """The DEMOS-relevant fields of a published record (an API record the identity may read)."""
        custom_fields = dict(record.get("custom_fields", {}))
        collaboration = custom_fields.get("demos:collaboration")
        if collaboration and "title" not in collaboration:
            title = self.vocabulary_titles.get("demoscollaborations", collaboration["id"])
            custom_fields["demos:collaboration"] = {**collaboration, "title": {"en": title} if title else {}}
        review = record.parent.get("review")
        return {
            "id": record.pid.pid_value,
            "is_published": record.is_published,
            "created": record.created.isoformat(),
            "updated": record.updated.isoformat(),
            "metadata": record.get("metadata", {}),
            "custom_fields": custom_fields,
            "pids": record.get("pids", {}),
            "parent": {"review": review} if review else {},
            "files": self._visible_files(identity, record.get("access", {}), record.files.entries, lambda: record),
        }

    def _hit_view(self, identity, hit):
        """The DEMOS-relevant fields of a search document the identity found."""
        review = hit.get("parent", {}).get("review")
        return {
            **{key: hit.get(key) for key in ("id", "is_published", "created", "updated", "pids")},
            "metadata": hit.get("metadata", {}),
            "custom_fields": hit.get("custom_fields", {}),
            "parent": {"review": review} if review else {},
            "files": self._visible_files(
                identity,
                hit.get("access", {}),
                hit.get("files", {}).get("entries", []),
                lambda: self.records.record_cls.pid.resolve(hit["id"]),
            ),
        }

    def _visible_files(self, identity, access, entries, load_record):
        """``files`` with its entries, or empty where Invenio would hide them (restricted files).

        Restricted files are not in the search documents: for those who may read them,
        the entries come from the stored record.
        """
        if access.get("files") == "public":
            return {"entries": files_entries(entries)}
        record = load_record()
        if not self.records.check_permission(identity, "read_files", record=record):
            return {}
        return {"entries": files_entries(record.files.entries)}

    # Helpers
    # -------
    def _models_only(self):
        return dsl.Q("term", **{"metadata.resource_type.id": MODEL_RESOURCE_TYPE})
