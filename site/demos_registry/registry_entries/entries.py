"""The DEMOS seed's registry-entry JSON, to and from Invenio record data.

The seed's shape (model_id, name, doi, version, domain, collaboration,
file_location, checksum, reference_points, metadata{tags, search_keywords,
citations}, validation_status, submission_date, last_updated) is kept, with the
DEMOS extensions an entry needs to become a complete record: description,
creators, engine, format, license, external_references, model_selection and the
list of files with their SHA-256.

``validation_status`` is never imported: validation is the registry's to decide.
"""

from invenio_access.permissions import system_identity
from invenio_vocabularies.proxies import current_service as vocabulary_service

from ..custom_fields.validators import IDENTIFIER_CHECKS

DOMAIN_ALIASES = {
    "particle_physics": "particle",
    "hadron_physics": "hadron",
    "nuclear_physics": "nuclear",
    "neutrino_physics": "neutrino",
    "astroparticle_physics": "astroparticle",
    "laser_plasma_physics": "laser-plasma",
    "laser_plasma": "laser-plasma",
    "plasma_physics": "laser-plasma",
}
"""The seed writes domains as ``particle_physics``; the vocabulary ids are shorter."""

STATUS_OF_VALIDATION = {
    "passed": "approved",
    "overridden": "approved",
    "failed": "rejected",
}
"""Registry validation status → the seed's validation_status (else "pending")."""


class EntryError(ValueError):
    """A registry entry that cannot become a record; the message says why and where."""


def vocabulary_id(vocabulary, value, field):
    """Resolve an id, or a title in any language, to the vocabulary's id."""
    if not value:
        raise EntryError(f"{field}: missing")
    candidates = {value, str(value).lower(), DOMAIN_ALIASES.get(str(value).lower(), value)}
    entries = vocabulary_service.read_all(system_identity, fields=["id", "title"], type=vocabulary, max_records=1000)
    for entry in entries:
        titles = {title.lower() for title in entry.get("title", {}).values()}
        if entry["id"] in candidates or titles & {str(c).lower() for c in candidates}:
            return entry["id"]
    raise EntryError(
        f"{field}: {value!r} is not in the {vocabulary} vocabulary "
        f"(add it to app_data/vocabularies/ or use an existing id)"
    )


def person_or_org(creator):
    """A creator of the entry as Invenio's person_or_org."""
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
    for reference in entry.get("external_references", []):
        if reference["scheme"] not in IDENTIFIER_CHECKS:
            raise EntryError(f"external_references: unknown scheme {reference['scheme']!r}")
        if reference not in references:
            references.append(reference)
    return references


def record_data(entry):
    """Invenio record data (metadata, access, custom fields) of a registry entry."""
    for required in ("model_id", "name", "domain", "engine", "format"):
        if not entry.get(required):
            raise EntryError(f"{required}: missing")
    metadata = entry.get("metadata", {})
    creators = entry.get("creators") or [{"name": "DEMOS Model Registry", "type": "organizational"}]
    custom_fields = {
        "demos:model_id": entry["model_id"],
        "demos:domain": {"id": vocabulary_id("demosdomains", entry["domain"], "domain")},
        "demos:engine": {"id": vocabulary_id("demosengines", entry["engine"], "engine")},
        "demos:format": {"id": vocabulary_id("demosformats", entry["format"], "format")},
        "demos:model_version": str(entry.get("version", "1.0.0")),
        "demos:reference_points": entry.get("reference_points", []),
        "demos:external_references": external_references(entry),
        "demos:tags": metadata.get("tags", []),
        "demos:search_keywords": metadata.get("search_keywords", []),
        "demos:citations": metadata.get("citations", []),
    }
    if entry.get("collaboration"):
        custom_fields["demos:collaboration"] = {
            "id": vocabulary_id("demoscollaborations", entry["collaboration"], "collaboration")
        }
    if entry.get("model_selection"):
        custom_fields["demos:model_selection"] = entry["model_selection"]
    if entry.get("expected_outputs"):
        custom_fields["demos:expected_outputs"] = entry["expected_outputs"]
    return {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": {
            "resource_type": {"id": "model"},
            "title": entry["name"],
            "description": entry.get("description", ""),
            "publication_date": entry.get("submission_date") or entry.get("last_updated"),
            "publisher": "DEMOS Model Registry",
            "version": str(entry.get("version", "1.0.0")),
            "creators": [person_or_org(c) for c in creators],
            "rights": [{"id": entry.get("license", "cc-by-4.0")}],
        },
        "custom_fields": custom_fields,
    }


def registry_entry(record, base_url):
    """The seed's registry-entry JSON of a record (a dict of the record's JSON)."""
    fields = record.get("custom_fields", {})
    metadata = record.get("metadata", {})
    files = record.get("files", {}).get("entries", {})
    checksums = {c["key"]: c["sha256"] for c in fields.get("demos:checksums", [])}
    first_file = next(iter(sorted(files)), None)
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
        "submission_date": (record.get("created") or "")[:10],
        "last_updated": (record.get("updated") or "")[:10],
    }
