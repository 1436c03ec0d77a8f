"""DOIs of published models, registered on a real DataCite-protocol server."""

import uuid
from datetime import UTC, datetime, timedelta

from datacite import schema45
from flask import current_app
from invenio_pidstore.models import PersistentIdentifier, PIDStatus
from rest_helpers import BELLE2_DOI, model_metadata

from demos_registry.doi.registration import is_due, retry_delay
from demos_registry.doi.tasks import retry_pending_doi_registrations

REST_ATTRIBUTES = ("doi", "prefix", "suffix", "state", "url", "created", "updated")
"""What the DataCite server adds to a DOI's metadata."""


def unique_title(text):
    """A title no other test uses."""
    return f"{text} {uuid.uuid4().hex[:8]}"


def pid_status(doi):
    """The status of a DOI in Invenio's PID store."""
    return PersistentIdentifier.get("doi", doi).status


def relations_of(doi_record):
    """(identifier, relation type) pairs of a DOI's related identifiers."""
    return {(item["relatedIdentifier"], item["relationType"]) for item in doi_record["relatedIdentifiers"]}


def registration(record, entry="version"):
    """What the record JSON says about the registration of one of its DOIs."""
    return record["custom_fields"]["demos:doi_registration"][entry]


def test_published_model_gets_findable_doi_with_model_metadata(datacite, publish_model):
    """Publish → version and concept DOIs findable on DataCite, with the model's metadata."""
    record = publish_model(model_metadata(unique_title("DOI model")))

    doi = record["pids"]["doi"]["identifier"]
    concept_doi = record["parent"]["pids"]["doi"]["identifier"]
    assert doi.startswith("10.80000/") and concept_doi.startswith("10.80000/")
    on_datacite = datacite.dois()
    registered = on_datacite[doi.lower()]
    assert registered["state"] == "findable"
    assert on_datacite[concept_doi.lower()]["state"] == "findable"
    assert registered["url"].endswith(f"/doi/{doi}") or record["id"] in registered["url"]

    metadata = {key: value for key, value in registered.items() if key not in REST_ATTRIBUTES}
    assert schema45.validate(metadata)
    assert registered["types"]["resourceTypeGeneral"] == "Model"
    assert registered["publisher"]["name"] == "DEMOS Model Registry"
    assert registered["creators"][0]["name"] == "Researcher, Ada"
    subjects = {subject["subject"] for subject in registered["subjects"]}
    assert {"Particle physics", "Belle II", "B-meson"} <= subjects
    relations = relations_of(registered)
    assert (BELLE2_DOI, "IsSupplementTo") in relations
    assert ("10.17182/hepdata.146874.v1", "IsDerivedFrom") in relations
    assert (concept_doi, "IsVersionOf") in relations

    assert pid_status(doi) == PIDStatus.REGISTERED
    assert registration(record)["status"] == "registered"
    assert registration(record, "concept")["status"] == "registered"


def test_new_version_links_previous_version_and_concept(datacite, publish_model, client, api_headers):
    """A new version: IsNewVersionOf the previous DOI, IsVersionOf the concept; concept HasVersion both."""
    first = publish_model(model_metadata(unique_title("Versioned model")))
    draft = client.post(f"/api/records/{first['id']}/versions", headers=api_headers).json
    client.post(f"/api/records/{draft['id']}/draft/actions/files-import", headers=api_headers)
    draft["metadata"]["version"] = "v2"
    draft["metadata"]["publication_date"] = "2025-01-01"
    response = client.put(f"/api/records/{draft['id']}/draft", headers=api_headers, json=draft)
    assert response.status_code == 200, response.json
    second = publish_model(None, draft_id=draft["id"])

    first_doi, second_doi = first["pids"]["doi"]["identifier"], second["pids"]["doi"]["identifier"]
    concept_doi = second["parent"]["pids"]["doi"]["identifier"]
    assert concept_doi == first["parent"]["pids"]["doi"]["identifier"]
    assert second_doi != first_doi
    on_datacite = datacite.dois()
    relations = relations_of(on_datacite[second_doi.lower()])
    assert (first_doi, "IsNewVersionOf") in relations
    assert (concept_doi, "IsVersionOf") in relations
    assert (second_doi, "HasVersion") in relations_of(on_datacite[concept_doi.lower()])


def test_datacite_down_leaves_doi_pending_until_retried(datacite, publish_model, client, api_headers):
    """DataCite down → published, DOI visibly pending and reserved; the retry task registers it later."""
    datacite.stop()
    try:
        record = publish_model(model_metadata(unique_title("Published while DataCite is down")))
        doi = record["pids"]["doi"]["identifier"]
        assert record["is_published"]
        assert pid_status(doi) == PIDStatus.RESERVED
        pending = registration(record)
        assert pending["status"] == "pending"
        assert "could not be reached" in pending["message"]
        assert pending["attempts"] == 1

        retry_pending_doi_registrations.delay()
        record = client.get(f"/api/records/{record['id']}", headers=api_headers).json
        assert registration(record)["status"] == "pending"
        assert registration(record)["attempts"] == 2
    finally:
        datacite.start()

    assert retry_pending_doi_registrations.delay().result >= 1
    record = client.get(f"/api/records/{record['id']}", headers=api_headers).json
    assert registration(record)["status"] == "registered"
    assert "message" not in registration(record)
    assert pid_status(doi) == PIDStatus.REGISTERED
    assert datacite.dois()[doi.lower()]["state"] == "findable"
    assert retry_pending_doi_registrations.delay().result == 0


def test_missed_metadata_update_is_pending_until_retried(datacite, publish_model, client, api_headers):
    """An edit published while DataCite is down: the DOI stays registered, its update is retried."""
    record = publish_model(model_metadata(unique_title("Edited while DataCite is down")))
    doi = record["pids"]["doi"]["identifier"]
    draft = client.post(f"/api/records/{record['id']}/draft", headers=api_headers).json
    draft["metadata"]["title"] = new_title = unique_title("Corrected title")
    assert (
        client.put(f"/api/records/{record['id']}/draft", headers=api_headers, json=draft).status_code == 200
    )
    datacite.stop()
    try:
        record = publish_model(None, draft_id=record["id"])
        assert registration(record)["status"] == "pending"
        assert pid_status(doi) == PIDStatus.REGISTERED
    finally:
        datacite.start()

    retry_pending_doi_registrations.delay()
    record = client.get(f"/api/records/{record['id']}", headers=api_headers).json
    assert registration(record)["status"] == "registered"
    assert datacite.dois()[doi.lower()]["titles"][0]["title"] == new_title


def test_retries_back_off(app):
    """The wait between attempts doubles, up to the cap; a fresh failure is not retried at once."""
    current_app.config.update(DEMOS_DOI_RETRY_BASE_DELAY=300, DEMOS_DOI_RETRY_MAX_DELAY=3600)
    try:
        assert [retry_delay(attempts) for attempts in (1, 2, 3, 4, 5)] == [300, 600, 1200, 2400, 3600]
        last = datetime(2026, 1, 1, tzinfo=UTC)
        entry = {"attempts": 2, "last_attempt": last.isoformat()}
        assert not is_due(entry, last + timedelta(seconds=599))
        assert is_due(entry, last + timedelta(seconds=600))
    finally:
        current_app.config.update(DEMOS_DOI_RETRY_BASE_DELAY=0, DEMOS_DOI_RETRY_MAX_DELAY=0)
