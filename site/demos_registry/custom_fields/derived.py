"""Standard metadata derived from the DEMOS fields: subjects and related identifiers.

Harvesters and citation tools read Invenio's standard metadata (DataCite,
Dublin Core, MARCXML, schema.org all come from it), not our custom fields. So the
domain, collaboration and tags become free-text subjects, and the external
references become related identifiers with DataCite relation types. Doing it on
the record data (rather than in each serializer) keeps every export and the
landing page consistent. On each save the entries derived from the previous DEMOS
values are replaced by those of the new ones; entries the user typed stay.
"""

RELATION_OF_SCHEME = {
    "doi": "issupplementto",  # the publication the model belongs to
    "arxiv": "issupplementto",
    "inspire": "isdocumentedby",
    "hepdata": "isderivedfrom",
    "zenodo": "isderivedfrom",
    "github": "issupplementedby",
    "url": "references",
}
"""DataCite relation of this model to each kind of external reference."""

URL_OF_SCHEME = {
    "inspire": "https://inspirehep.net/literature/{}",
}
DOI_PREFIXES = ("10.",)


def related_identifier(reference):
    """Invenio related identifier of one external reference."""
    scheme, identifier = reference["scheme"], reference["identifier"]
    relation = {"id": RELATION_OF_SCHEME[scheme]}
    if scheme in ("doi", "arxiv"):
        return {"identifier": identifier, "scheme": scheme, "relation_type": relation}
    if identifier.startswith(DOI_PREFIXES):
        return {"identifier": identifier, "scheme": "doi", "relation_type": relation}
    if scheme in URL_OF_SCHEME and not identifier.startswith("http"):
        identifier = URL_OF_SCHEME[scheme].format(identifier)
    return {"identifier": identifier, "scheme": "url", "relation_type": relation}


SUBJECT_VOCABULARIES = {"demos:domain": "demosdomains", "demos:collaboration": "demoscollaborations"}


def subjects(custom_fields, title_of):
    """Free-text subjects: domain, collaboration (titles via title_of), tags."""
    values = [
        title_of(vocabulary, custom_fields[field]["id"])
        for field, vocabulary in SUBJECT_VOCABULARIES.items()
        if custom_fields.get(field, {}).get("id")
    ]
    values += custom_fields.get("demos:tags", [])
    return [{"subject": value} for value in dict.fromkeys(v for v in values if v)]


def related_identifiers(custom_fields, title_of):
    """Related identifiers of the external references."""
    return [related_identifier(r) for r in custom_fields.get("demos:external_references", [])]


DERIVED = {"subjects": subjects, "related_identifiers": related_identifiers}


def _same(entry, other):
    """Compare entries by what identifies them (vocabulary titles may be expanded)."""
    keys = ("subject", "identifier", "scheme")
    return all(entry.get(k) == other.get(k) for k in keys) and (
        entry.get("relation_type", {}).get("id") == other.get("relation_type", {}).get("id")
    )


def apply_derived_metadata(metadata, previous_custom_fields, custom_fields, title_of):
    """Replace what the previous DEMOS values produced with what the new ones produce.

    title_of(vocabulary, id) gives the English title of a vocabulary entry (or None).
    """
    for field, derive in DERIVED.items():
        stale = derive(previous_custom_fields, title_of)
        kept = [e for e in metadata.get(field, []) if not any(_same(e, s) for s in stale)]
        for entry in derive(custom_fields, title_of):
            if not any(_same(entry, k) for k in kept):
                kept.append(entry)
        if kept:
            metadata[field] = kept
        else:
            metadata.pop(field, None)
