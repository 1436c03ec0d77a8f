"""The DEMOS seed's registry-entry JSON, to and from Invenio record data.

The seed's shape (model_id, name, doi, version, domain, collaboration,
file_location, checksum, reference_points, metadata{tags, search_keywords,
citations}, validation_status, submission_date, last_updated) is kept, with the
DEMOS extensions an entry needs to become a complete record: description,
creators, engine, format, license, external_references, model_selection and the
list of files with their SHA-256.

``validation_status`` is never imported: validation is the registry's to decide.
"""

import time

from invenio_access.permissions import system_identity
from invenio_vocabularies.proxies import current_service as vocabulary_service

from ..custom_fields.config import MODEL_RESOURCE_TYPE
from ..custom_fields.validators import IDENTIFIER_CHECKS

STATUS_OF_VALIDATION = {
    "passed": "approved",
    "overridden": "approved",
    "failed": "rejected",
}
"""Registry validation status → the seed's validation_status (else "pending")."""


class EntryError(ValueError):
    """A registry entry that cannot become a record: every problem, by field.

    ``messages`` maps each field to what is wrong with it and what is expected, so
    that one answer lists all problems (a submitter fixes them in one round trip).
    """

    def __init__(self, messages):
        """From ``{field: [message, ...]}`` or a single ``"field: message"``."""
        if isinstance(messages, str):
            field, _, message = messages.partition(": ")
            messages = {field: [message or field]}
        self.messages = {
            field: list(value) if isinstance(value, list) else [value] for field, value in messages.items()
        }
        super().__init__(
            "; ".join(f"{field}: {' '.join(map(str, value))}" for field, value in self.messages.items())
        )


class EntryErrors:
    """Collects the problems of an entry, to raise them together."""

    def __init__(self):
        """No problems yet."""
        self.messages = {}

    def add(self, field, message):
        """Note a problem of a field."""
        self.messages.setdefault(field, []).append(message)

    def collect(self, field, function, *args):
        """``function(*args)``, or None with its EntryError noted under ``field``."""
        try:
            return function(*args)
        except EntryError as error:
            for name, messages in error.messages.items():
                for message in messages:
                    self.add(name or field, message)
            return None

    def raise_any(self):
        """Raise all collected problems, if there are any."""
        if self.messages:
            raise EntryError(self.messages)


VOCABULARY_CACHE_SECONDS = 60
_vocabulary_cache = {}


def vocabulary_entries(vocabulary, fresh=False):
    """Id, titles and aliases of every entry of a (small) vocabulary, kept a minute per process.

    Filters of every API search resolve their values here; the DEMOS vocabularies
    change only when an administrator loads new entries. ``fresh`` asks the search
    index itself: Invenio's ``read_all`` answers from the application cache whenever
    someone cached the same fields, even when told not to cache, so an entry added
    since (a new domain) would stay unknown for the cache's lifetime.
    """
    cached = _vocabulary_cache.get(vocabulary)
    if cached and cached[0] > time.monotonic() and not fresh:
        return cached[1]
    found = vocabulary_service.search(system_identity, params={"size": 1000}, type=vocabulary)
    entries = [
        {"id": hit["id"], "title": hit.get("title") or {}, "props": hit.get("props") or {}}
        for hit in found.hits
    ]
    _vocabulary_cache[vocabulary] = (time.monotonic() + VOCABULARY_CACHE_SECONDS, entries)
    return entries


def vocabulary_id(vocabulary, value, field):
    """Resolve an id, a title in any language or an alias to the vocabulary's id (case-insensitive).

    Aliases are vocabulary data (``props.aliases``, space-separated), e.g. the seed's
    ``particle_physics`` for the domain ``particle``.
    """
    if not value or not isinstance(value, str):
        raise EntryError(
            f"{field}: missing" if not value else f"{field}: expected a text value, got {value!r}"
        )
    wanted = value.strip().lower()
    for fresh in (False, True):  # an entry added within the cache's minute is found too
        known = []
        for entry in vocabulary_entries(vocabulary, fresh):
            names = {entry["id"].lower(), *(title.lower() for title in entry.get("title", {}).values())}
            names.update((entry.get("props") or {}).get("aliases", "").lower().split())
            if wanted in names:
                return entry["id"]
            known.append(entry["id"])
    raise EntryError(
        f"{field}: {value!r} is not in the {vocabulary} vocabulary; expected one of {', '.join(sorted(known))} "
        f"(ids, titles and aliases are accepted)"
    )


def person_or_org(creator):
    """A creator of the entry as Invenio's person_or_org."""
    if isinstance(creator, str) and creator.strip():
        return {"person_or_org": {"type": "organizational", "name": creator.strip()}}
    if not isinstance(creator, dict) or not (creator.get("name") or creator.get("family_name")):
        raise EntryError(
            f'creators: {creator!r} is not a creator; expected {{"name": ...}} (an organisation) or '
            f'{{"family_name": ..., "given_name": ...}} (a person)'
        )
    if creator.get("type") == "organizational" or "family_name" not in creator:
        return {"person_or_org": {"type": "organizational", "name": creator["name"]}}
    return {
        "person_or_org": {
            "type": "personal",
            "family_name": creator["family_name"],
            "given_name": creator.get("given_name", ""),
        }
    }


def external_references(entry):
    """The entry's external references, its publication DOI first."""
    references = []
    if entry.get("doi"):
        references.append({"scheme": "doi", "identifier": entry["doi"], "description": "Publication"})
    given = entry.get("external_references") or []
    if not isinstance(given, list):
        raise EntryError("external_references: expected a list of {scheme, identifier}")
    for reference in given:
        if not isinstance(reference, dict) or reference.get("scheme") not in IDENTIFIER_CHECKS:
            raise EntryError(
                f"external_references: unknown scheme {reference.get('scheme') if isinstance(reference, dict) else reference!r}; "
                f"expected one of {', '.join(sorted(IDENTIFIER_CHECKS))}"
            )
        if reference not in references:
            references.append(reference)
    return references


def record_data(entry):
    """Invenio record data (metadata, access, custom fields) of a registry entry.

    Raises one EntryError naming every field that is missing or unknown.
    """
    errors = EntryErrors()
    for required in ("model_id", "name", "domain", "engine", "format"):
        if not entry.get(required):
            errors.add(required, "missing")
    metadata = entry.get("metadata") or {}
    if not isinstance(metadata, dict):
        errors.add("metadata", "expected an object with tags, search_keywords and citations")
        metadata = {}
    creators = entry.get("creators") or [{"name": "DEMOS Model Registry", "type": "organizational"}]

    def vocabulary_field(vocabulary, name):
        value = entry.get(name)
        return value and errors.collect(name, lambda: {"id": vocabulary_id(vocabulary, value, name)})

    custom_fields = {
        "demos:model_id": entry.get("model_id"),
        "demos:domain": vocabulary_field("demosdomains", "domain"),
        "demos:engine": vocabulary_field("demosengines", "engine"),
        "demos:format": vocabulary_field("demosformats", "format"),
        "demos:model_version": str(entry.get("version", "1.0.0")),
        "demos:reference_points": entry.get("reference_points", []),
        "demos:external_references": errors.collect("external_references", external_references, entry),
        "demos:tags": metadata.get("tags", []),
        "demos:search_keywords": metadata.get("search_keywords", []),
        "demos:citations": metadata.get("citations", []),
    }
    if entry.get("collaboration"):
        custom_fields["demos:collaboration"] = vocabulary_field("demoscollaborations", "collaboration")
    if not isinstance(creators, list):
        errors.add("creators", "expected a list of creators")
        creators = []
    if entry.get("model_selection"):
        custom_fields["demos:model_selection"] = entry["model_selection"]
    if entry.get("expected_outputs"):
        custom_fields["demos:expected_outputs"] = entry["expected_outputs"]
    data = {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": {
            "resource_type": {"id": MODEL_RESOURCE_TYPE},
            "title": entry.get("name"),
            "publication_date": entry.get("submission_date") or entry.get("last_updated"),
            "publisher": "DEMOS Model Registry",
            "version": str(entry.get("version", "1.0.0")),
            "creators": [errors.collect("creators", person_or_org, c) for c in creators],
            "rights": [{"id": entry.get("license", "cc-by-4.0")}],
        },
        "custom_fields": custom_fields,
    }
    if entry.get("description"):
        data["metadata"]["description"] = entry["description"]
    errors.raise_any()
    return data


def registry_entry(record, base_url):
    """The seed's registry-entry JSON of a record (a dict of the record's JSON)."""
    fields = record.get("custom_fields", {})
    metadata = record.get("metadata", {})
    files = record.get("files", {}).get("entries", {})
    checksums = {c["key"]: c["sha256"] for c in fields.get("demos:checksums", [])}
    selected = (fields.get("demos:model_selection") or {}).get("file")
    first_file = selected if selected in files else next(iter(sorted(files)), None)
    publication = next(
        (r["identifier"] for r in fields.get("demos:external_references", []) if r["scheme"] == "doi"),
        None,
    )
    validation = fields.get("demos:validation", {})
    return {
        "model_id": fields.get("demos:model_id"),
        "name": metadata.get("title"),
        "doi": publication,
        "record_doi": record.get("pids", {}).get("doi", {}).get("identifier"),
        "version": fields.get("demos:model_version") or metadata.get("version"),
        "domain": fields.get("demos:domain", {}).get("id"),
        "collaboration": fields.get("demos:collaboration", {}).get("title", {}).get("en"),
        "engine": fields.get("demos:engine", {}).get("id"),
        "format": fields.get("demos:format", {}).get("id"),
        "file_location": f"{base_url}/records/{record['id']}/files/{first_file}" if first_file else None,
        "source_location": fields.get("demos:source_location"),
        "checksum": f"sha256:{checksums[first_file]}" if first_file in checksums else None,
        "files": [{"file": key, "sha256": checksums.get(key)} for key in sorted(files)],
        "reference_points": fields.get("demos:reference_points", []),
        "external_references": fields.get("demos:external_references", []),
        "metadata": {
            "tags": fields.get("demos:tags", []),
            "search_keywords": fields.get("demos:search_keywords", []),
            "citations": fields.get("demos:citations", []),
        },
        "validation_status": STATUS_OF_VALIDATION.get(validation.get("status"), "pending"),
        "submission_date": metadata.get("publication_date") or (record.get("created") or "")[:10],
        "last_updated": (record.get("updated") or "")[:10],
    }
