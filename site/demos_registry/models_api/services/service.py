"""The models service: DEMOS-shaped operations on top of InvenioRDM's records service.

No data of its own: every read, search and write goes through ``current_rdm_records_service``
with the caller's identity, which applies the registry's record policy, so the API sees
exactly what the web UI and ``/api/records`` see. Its own policy (permissions.py) only asks
anonymous writers to authenticate.
"""

import tempfile
from datetime import UTC, datetime

from flask import current_app
from invenio_db import db
from invenio_pidstore.errors import PIDDoesNotExistError, PIDUnregistered
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_records_resources.services import Service
from invenio_records_resources.services.errors import (
    PermissionDeniedError,
    RecordPermissionDeniedError,
)
from invenio_search.engine import search as search_engine
from sqlalchemy.orm.exc import NoResultFound

from ...conversion.translate import NotTranslatable, agreement, parsed_model, translate
from ...custom_fields.config import MODEL_RESOURCE_TYPE
from ...lineage.graph import lineage_graph
from ...registry_entries.entries import registry_entry
from ...status_dashboard.metrics import status_report
from ...submissions.entry import valid_uuid
from ...submissions.service import Idempotency, submit
from ...submissions.uploads import remove, spool
from ...validation_runs.plots import media_files_url, signal_points_view, with_content_urls
from ...validation_runs.service import revalidate
from .errors import ModelNotFound, NothingToVisualize, field_error
from .record_data import merged_record_data, new_record_data
from .results import api_root, links_template
from .schemas import (
    GoldenListSchema,
    LineageSchema,
    RegistryEntrySchema,
    StatusSchema,
    TagListSchema,
    ValidationQueuedSchema,
    ValidationStateSchema,
    VisualizationSchema,
    dump,
)
from .search import (
    GOLDEN_STATUSES,
    TAG_AGGREGATION,
    golden_filter,
    hits_only,
    model_id_filter,
    models_only,
    search_params,
    tag_counts,
    tag_prefix_filter,
)
from .vocabulary_titles import VocabularyTitles


def files_entries(entries):
    """File keys of a record, from its stored (dict) or indexed (list) ``files.entries``."""
    keys = entries.keys() if isinstance(entries, dict) else (entry["key"] for entry in entries)
    return {key: {"key": key} for key in keys}


class ModelsService(Service):
    """List, search, read, create, update and delete DEMOS models."""

    def __init__(self, config):
        """The service and its cache of vocabulary titles."""
        super().__init__(config)
        self.vocabulary_titles = VocabularyTitles()

    @property
    def records_service(self):
        """InvenioRDM's records service, which every operation goes through."""
        return current_rdm_records_service

    def links_item_tpl(self):
        """Link templates of a model."""
        return links_template(self.config.links_item)

    # Reading
    # -------
    def search(self, identity, page, size, q=None, sort=None, filters=None, min_quality=None, regex=None):
        """One page of the published models the identity may see (``filters``: see search.py)."""
        params, extra_filter = search_params(
            page, size, q=q, sort=sort, filters=filters, min_quality=min_quality, regex=regex
        )
        try:
            response = self._search_documents(identity, params, extra_filter).execute()
        except search_engine.RequestError as error:
            if not regex:
                raise
            # The engine's own bound (max_determinized_states) refused what check_pattern let through.
            raise field_error("regex", f"The search engine refused the pattern: {error.error}.") from error
        records = [self._hit_view(identity, hit.to_dict()) for hit in response]
        return self.result_list(
            self, identity, records, response.hits.total["value"], page, size, self.links_item_tpl()
        )

    def record_id(self, identity, id_, version=None):
        """The record id of a model addressed by record id or by its model id (a UUID).

        A model id names the model across its versions: the latest published one, or
        the one whose model version is ``version``; else the identity's newest draft.
        """
        if not valid_uuid(id_):
            return id_
        model = model_id_filter(id_, version)
        params = {"size": 1, "sort": "newest", "allversions": bool(version)}
        for hit in self._search_documents(identity, params, model).execute():
            return hit.to_dict()["id"]
        if identity.id is not None:
            drafts = self.records_service.search_drafts(
                identity, params={"size": 1, "sort": "newest"}, extra_filter=model
            )
            for hit in drafts.hits:
                return hit["id"]
        raise ModelNotFound(id_)

    def read(self, identity, id_, version=None):
        """A published model, or the identity's own unpublished draft of one."""
        return self.result_item(self, identity, self._model(identity, id_, version), self.links_item_tpl())

    def registry_entry(self, identity, id_, version=None):
        """The model's registry entry (the seed's JSON)."""
        record = self._model(identity, id_, version)
        return dump(RegistryEntrySchema, registry_entry(record, current_app.config["SITE_UI_URL"]))

    def file(self, identity, id_, version=None, key=None):
        """A model's file (``key``, else its selected file, else the first) and its SHA-256 if known.

        Returns the file service's item (metadata, stream) and the hex SHA-256 (or None).
        """
        return self._file_of(identity, self._model(identity, id_, version), key)

    def _file_of(self, identity, record, key=None):
        files = sorted(record.get("files", {}).get("entries", {}))
        selected = record.get("custom_fields", {}).get("demos:model_selection", {}).get("file")
        key = key or (selected if selected in files else None) or (files[0] if files else None)
        if key is None or key not in files:
            raise FileNotFoundError(key)
        records = self.records_service
        files_service = records.files if record.get("is_published") else records.draft_files
        checksums = {
            c["key"]: c.get("sha256") for c in record.get("custom_fields", {}).get("demos:checksums", [])
        }
        return files_service.get_file_content(identity, record["id"], key), checksums.get(key)

    def translation(self, identity, id_, target, version=None, key=None):
        """A validated model's file as ``target`` (``hs3`` or ``pyhf``), and how far the translation was checked.

        Only a model whose validation passed (or was overridden) is translated: the engine's
        translators are run on a file it has read without fault, and the cross-engine check
        of that validation is the agreement reported.
        """
        record = self._model(identity, id_, version)
        custom_fields = record.get("custom_fields", {})
        validation = custom_fields.get("demos:validation") or {}
        if validation.get("status") not in GOLDEN_STATUSES:
            raise NotTranslatable(
                f"only a model whose validation passed is translated (status: {validation.get('status')})"
            )
        item, _sha256 = self._file_of(identity, record, key)
        metadata = item.to_dict()
        limit = self.config.conversion_max_bytes
        if (metadata.get("size") or 0) > limit:
            raise NotTranslatable(f"the file has {metadata['size']} bytes, above the {limit} translated here")
        with item.open_stream("rb") as stream:
            document, source_format = parsed_model(stream.read(limit + 1), limit)
        translated_document, translated = translate(document, source_format, target)
        patch = (custom_fields.get("demos:model_selection") or {}).get("patch")
        return {
            "id": record["id"],
            "key": metadata["key"],
            "source_format": source_format,
            "format": target,
            "translated": translated,
            "agreement": agreement(validation, translated, patch),
            "document": translated_document,
            "links": links_template(self.config.links_translation).expand(identity, record),
        }

    def lineage(self, identity, id_, version=None, api_url=None):
        """The model's relations as a graph (lineage/graph.py): versions, files, signal points, related works.

        ``api_url``: the API root of the graph's links (default: the one the caller reached).
        """
        record = self._model(identity, id_, version)
        versions = []
        if record.get("is_published"):
            found = self.records_service.search_versions(
                identity, record["id"], params={"size": self.config.lineage_max_versions, "sort": "version"}
            )
            versions = list(found.hits)
        graph = lineage_graph(
            record,
            versions,
            api_url or api_root(),
            current_app.config["SITE_UI_URL"],
            self.config.lineage_max_points,
        )
        return dump(LineageSchema, graph)

    def validation_state(self, identity, id_, version=None, how_to_run=False):
        """The stored ``demos:validation`` of a model, with its links.

        ``how_to_run`` adds, in ``run``, the request that queues a new validation.
        ``validation.policy`` names the validation policy version the verdict was judged
        under (``{"community": slug, "version": n}``); ``links.policy`` is that policy.
        """
        record = self._model(identity, id_, version)
        validation = record.get("custom_fields", {}).get("demos:validation")
        policy = (validation or {}).get("policy")
        state = {
            "id": record["id"],
            "status": (validation or {}).get("status"),
            "validation": validation,
            "links": links_template(self.config.links_validation).expand(identity, record),
        }
        if policy and policy.get("community"):
            state["links"]["policy"] = f"{api_root()}/communities/{policy['community']}/validation-policy"
        if how_to_run:
            state["run"] = {
                "method": "POST",
                "href": self.links_item_tpl().expand(identity, record)["validate"],
                "description": "Queues a new validation (owners, curators, administrators; send "
                "'Authorization: Bearer <token>'); poll the validation link for the verdict.",
            }
        return dump(ValidationStateSchema, state)

    def visualization(self, identity, id_, version=None):
        """Plots, parameters, facts and signal points (CLs per point) of the model's last validation report."""
        record = self._model(identity, id_, version)
        validation = record.get("custom_fields", {}).get("demos:validation") or {}
        report = validation.get("report") or {}
        facts = report.get("facts") or []
        parameters = [p for fact in facts for p in fact.get("parameters", [])]
        plots = with_content_urls(
            report.get("plots") or validation.get("plots") or [],
            media_files_url(record["id"], record.get("is_published")),
        )
        signal_points = signal_points_view(report, media_files_url(record["id"], record.get("is_published")))
        if not (plots or parameters or signal_points):
            reason = (
                "the model has not been validated yet"
                if not validation
                else "the last validation produced no plots or parameters"
            )
            raise NothingToVisualize(reason)
        visualization = {
            "id": record["id"],
            "status": validation.get("status"),
            "plots": plots,
            "parameters": parameters,
            "facts": facts,
            "signal_points": signal_points,
        }
        return dump(VisualizationSchema, visualization)

    def golden(self, identity):
        """Registry entries of every published model whose validation passed (or was overridden)."""
        base_url = current_app.config["SITE_UI_URL"]
        hits = self._search_documents(identity, {}, golden_filter(), permission_action="read").scan()
        entries = [registry_entry(self._hit_view(identity, hit.to_dict()), base_url) for hit in hits]
        entries.sort(key=lambda entry: (entry["domain"] or "", entry["name"] or "", entry["version"] or ""))
        golden = {"generated": datetime.now(UTC).isoformat(), "count": len(entries), "models": entries}
        return dump(GoldenListSchema, golden)

    def tags(self, identity, prefix, size):
        """The most used tags starting with ``prefix`` (case-insensitive), with their counts.

        Counted by the search engine (a terms aggregation over the models that have such a
        tag), not by reading every record.
        """
        response = self._search_documents(
            identity,
            {"size": 1},
            models_only() & tag_prefix_filter(prefix),
            search_options=tag_counts(self.records_service.config.search),
        ).execute()
        buckets = response.aggregations.to_dict().get(TAG_AGGREGATION, {}).get("buckets", [])
        counts = [(b["key"], b["doc_count"]) for b in buckets if b["key"].lower().startswith(prefix.lower())]
        ranked = sorted(counts, key=lambda item: (-item[1], item[0].lower()))[:size]
        tags = [{"tag": tag, "count": count} for tag, count in ranked]
        return dump(TagListSchema, {"prefix": prefix, "tags": tags})

    def status(self, identity):
        """The administrators' dashboard (status_dashboard/metrics.py), with links to the records concerned."""
        self.require_permission(identity, "read_status")
        links = links_template(self.config.links_status_record)
        return dump(StatusSchema, status_report(lambda record_id: links.expand(identity, {"id": record_id})))

    def count_by_domain(self, identity):
        """Published models the identity may see: (total, count per domain)."""
        result = self.records_service.search(
            identity, params={"size": 1}, extra_filter=models_only()
        ).to_dict()
        buckets = result.get("aggregations", {}).get("domain", {}).get("buckets", [])
        return result["hits"]["total"], {bucket["key"]: bucket["doc_count"] for bucket in buckets}

    # Writing
    # -------
    def create(self, identity, payload, files, publish=False, idempotency_key=None):
        """Create a model with its files, then submit it for review (or publish it).

        ``files`` are ``(name, stream)`` pairs. All or nothing (see submissions.service).
        With an ``idempotency_key`` already used for the same request, nothing is created:
        the model that request made is returned (``notes["replayed"]``). The item carries
        the review request and the notes on what the registry inferred, verified or ignored.
        """
        self.require_permission(identity, "create")
        if not files:
            raise field_error("file", "Upload at least one model file.")
        folder = tempfile.mkdtemp(prefix="demos-submission-")
        try:
            uploads = spool(files, folder)
            idempotency = None
            if idempotency_key:
                idempotency = Idempotency(identity.id, idempotency_key, payload, uploads, publish)
                earlier = idempotency.earlier_record_id()
                if earlier:
                    try:
                        record = self._read_record(identity, earlier)
                        return self.result_item(
                            self, identity, record, self.links_item_tpl(), notes={"replayed": True}
                        )
                    except ModelNotFound:
                        pass  # its draft was deleted since (e.g. a refused publication): submit anew
            data, notes = new_record_data(payload, uploads)
            record, request_id = submit(identity, data, uploads, publish=publish, idempotency=idempotency)
        finally:
            remove(folder)
        return self.result_item(self, identity, record, self.links_item_tpl(), request_id, notes)

    def update(self, identity, id_, payload, version=None):
        """Change a model's metadata; a published model is edited and republished."""
        self.require_permission(identity, "update")
        id_ = self.record_id(identity, id_, version)
        if not isinstance(payload, dict) or not payload:
            raise field_error("body", "Send a JSON object with the fields to change.")
        published = self._read_record(identity, id_).get("is_published", False)
        records = self.records_service
        draft = (records.edit if published else records.read_draft)(identity, id_)
        data = merged_record_data(draft.to_dict(), payload)
        try:
            records.update_draft(identity, id_, data)
            republished = records.publish(identity, id_) if published else None
        except Exception:
            db.session.rollback()
            if published:
                records.delete_draft(identity, id_)
            raise
        record = (republished or records.read_draft(identity, id_)).to_dict()
        return self.result_item(self, identity, record, self.links_item_tpl())

    def delete(self, identity, id_, version=None, reason=None, note=None):
        """Remove a published model (the records policy: administrators): a tombstone, the DOI stays."""
        self.require_permission(identity, "delete")
        id_ = self.record_id(identity, id_, version)
        self._read_record(identity, id_)
        data = {"removal_reason": {"id": reason or self.config.removal_reason}, "is_visible": True}
        if note:
            data["note"] = note
        self.records_service.delete_record(identity, id_, data)

    def queue_validation(self, identity, id_, version=None):
        """Queue a new validation of the model (a Celery task); returns the queued state.

        Who may is the record policy's ``revalidate`` (see permissions.py).
        """
        self.require_permission(identity, "validate")
        id_ = self.record_id(identity, id_, version)
        record = self._read_record(identity, id_)
        state = revalidate(identity, id_)
        queued = {
            "id": id_,
            "status": "queued",
            "validation": {"status": state.get("status"), "updated": state.get("updated")},
            "links": links_template(self.config.links_validation_queued).expand(identity, record),
        }
        return dump(ValidationQueuedSchema, queued)

    # Records as the DEMOS shape needs them
    # -------------------------------------
    # The DEMOS shape needs a few fields of a record. Invenio's full serialisation
    # (every field of the RDM schema, links, per-field permission checks) is most of
    # the time of a request, so published records are read from their stored JSON
    # (GET) or their search document (search), with the one permission that hides
    # a field, read_files, checked by the records service as Invenio checks it.
    def _search_documents(self, identity, params, extra_filter, search_options=None, permission_action=None):
        """The records service's search of published records, as a search to execute or scan.

        ``search_request`` applies the records policy's filter for the identity and the query
        parameters as the records service's ``search`` does (``read_deleted``; its ``scan``:
        ``read``); the hits stay search documents, since ``RecordList.hits`` would load and dump
        each through the full RDM schema.
        """
        records = self.records_service
        records.require_permission(identity, "search")
        return records.search_request(
            identity,
            params,
            records.record_cls,
            search_options or hits_only(records.config.search),
            extra_filter=extra_filter,
            permission_action=permission_action or "read_deleted",
        )

    def _model(self, identity, id_, version=None):
        """The record (a dict) of a model addressed by record id or model id."""
        return self._read_record(identity, self.record_id(identity, id_, version))

    def _read_record(self, identity, id_):
        """A published model, or the identity's own unpublished draft of one (as a dict)."""
        records = self.records_service
        try:
            record = self._record_view(identity, self._readable_record(identity, id_))
        except (PIDDoesNotExistError, PIDUnregistered, NoResultFound):
            try:
                record = records.read_draft(identity, id_).to_dict()
            except (PIDDoesNotExistError, NoResultFound):
                raise ModelNotFound(id_) from None
        if record.get("metadata", {}).get("resource_type", {}).get("id") != MODEL_RESOURCE_TYPE:
            raise ModelNotFound(id_)
        return record

    def _readable_record(self, identity, id_):
        """The published record, checked as the records service's ``read`` checks it.

        ``read`` would also dereference every vocabulary relation (eight lookups, half of a
        GET's time) that the DEMOS shape does not show; a deleted record still goes through
        it, so that it answers with Invenio's tombstone (410).
        """
        records = self.records_service
        record = records.record_cls.pid.resolve(id_)
        if record.deletion_status.is_deleted:
            records.read(identity, id_)
        try:
            records.require_permission(identity, "read", record=record)
        except PermissionDeniedError:
            raise RecordPermissionDeniedError(action_name="read", record=record) from None
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
            "files": self._visible_files(
                identity, record.get("access", {}), record.files.entries, lambda: record
            ),
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
                lambda: self.records_service.record_cls.pid.resolve(hit["id"]),
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
        if not self.records_service.check_permission(identity, "read_files", record=record):
            return {}
        return {"entries": files_entries(record.files.entries)}
