"""The DEMOS model record type over REST: every field stored, every bad value named."""

import uuid

import pytest
from datacite import schema45
from rest_helpers import (
    BELLE2_DOI,
    create_draft,
    drafts_of,
    error_fields,
    model_metadata,
    publish,
    refresh_records_index,
    upload_file,
)

MODEL_FILE = "2-bin_1-channel.json"


def published_model(client, headers, shared_models, payload):
    """Create, upload the two-bin model into and publish a draft; returns the record JSON."""
    response = create_draft(client, headers, payload)
    assert response.status_code == 201, response.json
    assert not response.json.get("errors"), response.json["errors"]
    draft_id = response.json["id"]
    upload_file(client, headers, draft_id, MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    response = publish(client, headers, draft_id)
    assert response.status_code == 202, response.json
    return response.json


def test_model_with_all_demos_fields_round_trips(client, api_headers, shared_models):
    """Every DEMOS field a user fills comes back from the published record."""
    payload = model_metadata(f"Belle II B+ to K+ nu nu {uuid.uuid4().hex[:6]}")
    record = published_model(client, api_headers, shared_models, payload)

    fields = record["custom_fields"]
    assert fields["demos:domain"]["id"] == "particle"
    assert fields["demos:domain"]["title"]["en"] == "Particle physics"
    assert fields["demos:collaboration"]["id"] == "belle-ii"
    assert fields["demos:engine"]["id"] == "pyhf"
    assert fields["demos:format"]["id"] == "pyhf-json"
    assert fields["demos:reference_points"] == payload["custom_fields"]["demos:reference_points"]
    assert fields["demos:external_references"][0]["identifier"] == BELLE2_DOI
    assert fields["demos:tags"] == ["B-meson", "rare-decay", "neutrino"]
    assert uuid.UUID(fields["demos:model_id"])
    assert record["metadata"]["resource_type"]["id"] == "model"


def test_system_fields_cannot_be_written_by_users(client, api_headers):
    """A user's validation status or checksums are ignored; model_id is kept once set."""
    model_id = str(uuid.uuid4())
    payload = model_metadata(
        "Self-certified model",
        **{
            "demos:validation": {"status": "passed"},
            "demos:checksums": [{"key": "x.json", "sha256": "0" * 64}],
            "demos:model_id": model_id,
        },
    )
    response = create_draft(client, api_headers, payload)
    assert response.status_code == 201
    fields = response.json["custom_fields"]
    assert "demos:validation" not in fields
    assert "demos:checksums" not in fields
    assert fields["demos:model_id"] == model_id

    payload["custom_fields"]["demos:model_id"] = str(uuid.uuid4())
    response = client.put(f"/api/records/{response.json['id']}/draft", headers=api_headers, json=payload)
    assert response.json["custom_fields"]["demos:model_id"] == model_id


def new_version(client, headers, record):
    """A new version of a published record with its files imported; returns the draft JSON."""
    response = client.post(f"/api/records/{record['id']}/versions", headers=headers)
    assert response.status_code == 201, response.json
    draft = response.json
    response = client.post(f"/api/records/{draft['id']}/draft/actions/files-import", headers=headers)
    assert response.status_code == 201, response.json
    return draft


def test_model_id_is_assigned_when_missing(client, api_headers, shared_models):
    """Every model gets its own UUID, and every version of a model keeps it."""
    other = create_draft(client, api_headers, model_metadata("Another model without id")).json
    record = published_model(client, api_headers, shared_models, model_metadata("Model without id"))
    model_id = record["custom_fields"]["demos:model_id"]
    assert str(uuid.UUID(model_id)) == model_id
    assert other["custom_fields"]["demos:model_id"] != model_id

    draft = new_version(client, api_headers, record)
    assert draft["id"] != record["id"]
    assert draft["custom_fields"]["demos:model_id"] == model_id
    payload = {
        **draft,
        "custom_fields": {
            **draft["custom_fields"],
            "demos:model_version": "2.0.0",
            "demos:model_id": str(uuid.uuid4()),
        },
    }
    response = client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=payload)
    assert response.status_code == 200, response.json
    response = publish(client, api_headers, draft["id"])
    assert response.status_code == 202, response.json
    second = response.json
    assert second["custom_fields"]["demos:model_version"] == "2.0.0"
    assert second["custom_fields"]["demos:model_id"] == model_id
    assert second["parent"]["id"] == record["parent"]["id"]


INVALID_VALUES = {
    "unknown domain": ("demos:domain", {"id": "alchemy"}, "custom_fields.demos:domain"),
    "malformed DOI": (
        "demos:external_references",
        [{"scheme": "doi", "identifier": "PhysRevD.109.112006"}],
        "custom_fields.demos:external_references.0.identifier",
    ),
    "unknown reference scheme": (
        "demos:external_references",
        [{"scheme": "myspace", "identifier": "x"}],
        "custom_fields.demos:external_references.0.scheme",
    ),
    "non-numeric reference point": (
        "demos:reference_points",
        [{"parameters": {"mu": 1.0}, "expected": "about twenty"}],
        "custom_fields.demos:reference_points.0.expected",
    ),
    "non-numeric parameter value": (
        "demos:reference_points",
        [{"parameters": {"mu": "one"}, "expected": 1.0}],
        "custom_fields.demos:reference_points.0.parameters",
    ),
    "negative tolerance": (
        "demos:reference_points",
        [{"parameters": {"mu": 1.0}, "expected": 1.0, "rtol": -1e-5}],
        "custom_fields.demos:reference_points.0.rtol",
    ),
    "malformed model id": ("demos:model_id", "not-a-uuid", "custom_fields.demos:model_id"),
    "malformed model version": (
        "demos:model_version",
        "version one",
        "custom_fields.demos:model_version",
    ),
}


@pytest.mark.parametrize("case", list(INVALID_VALUES))
def test_invalid_value_is_a_400_naming_the_field(client, api_headers, researcher, case):
    """Creating or updating with a bad DEMOS value: 400 with the field, nothing stored."""
    field, value, path = INVALID_VALUES[case]
    drafts_before = drafts_of(researcher)
    response = create_draft(client, api_headers, model_metadata(f"Bad {case}", **{field: value}))
    assert response.status_code == 400
    assert any(name.startswith(path) for name in error_fields(response)), response.json
    assert drafts_of(researcher) == drafts_before

    draft = create_draft(client, api_headers, model_metadata(f"Good, then bad {case}")).json
    payload = model_metadata(draft["metadata"]["title"], **{field: value})
    response = client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=payload)
    assert response.status_code == 400
    assert any(name.startswith(path) for name in error_fields(response)), response.json
    stored = client.get(f"/api/records/{draft['id']}/draft", headers=api_headers).json
    assert stored["custom_fields"][field] == draft["custom_fields"][field]


def test_model_needs_domain_engine_and_format_to_publish(client, api_headers):
    """A statistical model without domain, engine and format is not published."""
    payload = model_metadata("Incomplete model")
    for name in ("demos:domain", "demos:engine", "demos:format"):
        del payload["custom_fields"][name]
    payload["files"] = {"enabled": False}
    draft_id = create_draft(client, api_headers, payload).json["id"]
    response = publish(client, api_headers, draft_id)
    assert response.status_code == 400
    assert {
        "custom_fields.demos:domain",
        "custom_fields.demos:engine",
        "custom_fields.demos:format",
    } <= error_fields(response)


def test_demos_fields_are_searchable(client, api_headers, shared_models):
    """Full text finds tags and keywords; field queries find domain and collaboration."""
    marker = uuid.uuid4().hex[:8]
    payload = model_metadata(f"Searchable model {marker}")
    payload["custom_fields"]["demos:search_keywords"] = [f"kw{marker}"]
    record = published_model(client, api_headers, shared_models, payload)
    refresh_records_index()

    for query in (
        f"kw{marker}",
        f"custom_fields.demos\\:domain.id:particle AND {marker}",
        f'"Belle II" AND {marker}',
    ):
        hits = client.get("/api/records", query_string={"q": query}).json["hits"]["hits"]
        assert [hit["id"] for hit in hits] == [record["id"]], query


def test_exports_carry_model_type_subjects_and_relations(client, api_headers, shared_models):
    """DataCite JSON (valid 4.5) and Dublin Core carry Model, subjects and relations."""
    record = published_model(client, api_headers, shared_models, model_metadata("Exported model"))

    response = client.get(
        f"/api/records/{record['id']}",
        headers={"Accept": "application/vnd.datacite.datacite+json"},
    )
    datacite = response.json
    assert [error.message for error in schema45.validator.iter_errors(datacite)] == []
    assert datacite["types"]["resourceTypeGeneral"] == "Model"
    subjects = {s["subject"] for s in datacite["subjects"]}
    assert {"Particle physics", "Belle II", "B-meson", "rare-decay"} <= subjects
    relations = {(r["relatedIdentifier"], r["relationType"]) for r in datacite["relatedIdentifiers"]}
    assert (BELLE2_DOI, "IsSupplementTo") in relations
    assert ("10.17182/hepdata.146874.v1", "IsDerivedFrom") in relations
    assert ("https://github.com/scikit-hep/pyhf", "IsSupplementedBy") in relations

    dublin_core = client.get(
        f"/api/records/{record['id']}", headers={"Accept": "application/x-dc+xml"}
    ).get_data(as_text=True)
    assert "Particle physics" in dublin_core
    assert BELLE2_DOI in dublin_core


def test_derived_subjects_follow_edits_and_keep_user_entries(client, api_headers):
    """Changing tags replaces the derived subjects; a subject the user typed stays."""
    payload = model_metadata("Edited tags")
    payload["metadata"]["subjects"] = [{"subject": "my own subject"}]
    draft = create_draft(client, api_headers, payload).json
    payload = {**draft, "custom_fields": {**draft["custom_fields"], "demos:tags": ["new-tag"]}}
    updated = client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=payload).json
    subjects = {s["subject"] for s in updated["metadata"]["subjects"]}
    assert subjects == {"my own subject", "Particle physics", "Belle II", "new-tag"}
