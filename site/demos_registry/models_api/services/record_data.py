"""Invenio record data from what a client sends: a registry entry or record data, new or changed."""

import json
from datetime import date

from marshmallow import ValidationError

from ...custom_fields.config import MODEL_RESOURCE_TYPE
from ...registry_entries.entries import EntryError, record_data, registry_entry
from ...submissions.entry import record_data_of_entry
from .errors import field_error

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


def is_record_shape(payload):
    """True for Invenio record data, False for a registry entry."""
    metadata = payload.get("metadata")
    return (
        "custom_fields" in payload
        or "access" in payload
        or (isinstance(metadata, dict) and ("title" in metadata or "resource_type" in metadata))
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
