"""Results of the models service: records in the DEMOS shape, with their links."""

from flask import current_app, has_request_context, request
from invenio_records_resources.services import ExternalLink, LinksTemplate
from invenio_records_resources.services.base.results import ServiceItemResult, ServiceListResult

from ...quality.score import quality
from ...registry_entries.entries import registry_entry
from .schemas import ModelListSchema, ModelSchema, dump


class ModelLink(ExternalLink):
    """A link of a model: ``{id}`` is its record id, ``{+api}`` the API root the caller used."""

    @staticmethod
    def vars(record, vars):
        """The record id."""
        vars["id"] = record["id"]


def api_root():
    """The API root the caller reached (``SITE_API_URL`` outside a request).

    Behind a proxy or in the test client the caller's root is the one its next request
    can use; the web UI links stay on ``SITE_UI_URL``.
    """
    if has_request_context():
        return request.url_root.rstrip("/")
    return current_app.config["SITE_API_URL"]


def links_template(links):
    """Link templates expanded under the API root the caller reached."""
    return LinksTemplate(links, context={"api": api_root()})


def publication_status(record, request_id):
    """published, in_review (a submitted or accepted review request) or draft."""
    review = record.get("parent", {}).get("review") or {}
    if record.get("is_published"):
        return "published"
    if request_id and review.get("status", "submitted") in ("submitted", "accepted"):
        return "in_review"
    return "draft"


def model_shape(identity, record, links_tpl, request_id=None):
    """The DEMOS shape of a record: registry entry, id, status, validation, quality and links."""
    validation = record.get("custom_fields", {}).get("demos:validation") or {}
    request_id = request_id or (record.get("parent", {}).get("review") or {}).get("id")
    return {
        "id": record["id"],
        **registry_entry(record, current_app.config["SITE_UI_URL"]),
        "status": publication_status(record, request_id),
        "validation": {"status": validation.get("status"), "updated": validation.get("updated")},
        "community_request": request_id,
        "quality": quality(record),
        "links": links_tpl.expand(identity, record),
    }


class ModelItem(ServiceItemResult):
    """One model; after a submission also its review request and the registry's notes."""

    def __init__(self, service, identity, record, links_tpl, request_id=None, notes=None):
        """A record (as a dict) the identity may read."""
        self._service = service
        self._identity = identity
        self.record = record
        self._links_tpl = links_tpl
        self._request_id = request_id
        self.notes = notes

    def to_dict(self):
        """The model as ``/api/models`` answers it."""
        shape = model_shape(self._identity, self.record, self._links_tpl, self._request_id)
        if self.notes is not None:
            shape["submission"] = self.notes
        return dump(ModelSchema, shape)


class ModelList(ServiceListResult):
    """One page of models."""

    def __init__(self, service, identity, records, total, page, size, links_item_tpl):
        """Records (dicts) of one page, and how many there are in all."""
        self._service = service
        self._identity = identity
        self.records = records
        self.total = total
        self.page = page
        self.size = size
        self._links_item_tpl = links_item_tpl

    def to_dict(self):
        """The page as ``/api/models`` answers it (the resource adds the page links)."""
        page = {
            "hits": [model_shape(self._identity, record, self._links_item_tpl) for record in self.records],
            "total": self.total,
            "page": self.page,
            "size": self.size,
        }
        return dump(ModelListSchema, page)
