"""DOIs whose metadata DataCite refuses (HTTP 422): rejected, with DataCite's reasons, not retried blindly.

The refused metadata is a location whose longitude is 200°: Invenio's schema takes
any GeoJSON point, DataCite's (``xs:float`` between -180 and 180) does not. The
local DataCite-protocol server validates the same rule (scripts/datacite_server.py).
"""

import logging
import uuid

import pytest
from invenio_db import db
from invenio_pidstore.models import PersistentIdentifier, PIDStatus
from invenio_rdm_records.records.api import RDMRecord
from lxml import html
from rest_helpers import model_metadata

from demos_registry.cli import demos
from demos_registry.doi.tasks import retry_pending_doi_registrations

OUT_OF_RANGE = [200.0, 46.23]
"""A longitude beyond 180°: accepted by Invenio, refused by DataCite."""
CERN = [6.05, 46.23]


def located_model(title, coordinates):
    """A model whose metadata has one location at ``coordinates`` (longitude, latitude)."""
    payload = model_metadata(f"{title} {uuid.uuid4().hex[:8]}")
    payload["metadata"]["locations"] = {
        "features": [{"geometry": {"type": "Point", "coordinates": coordinates}, "place": "CERN"}]
    }
    return payload


def registration(record, entry="version"):
    """What the record JSON says about the registration of one of its DOIs."""
    return record["custom_fields"]["demos:doi_registration"][entry]


def pid_status(doi_value):
    """The status of a DOI in Invenio's PID store."""
    return PersistentIdentifier.get("doi", doi_value).status


def public_record(client, record_id):
    """The record as anyone reads it through the REST API."""
    response = client.get(f"/api/records/{record_id}")
    assert response.status_code == 200
    return response.json


def landing_page(client, record_id):
    """The record's HTML page, as anyone sees it.

    The UI application serves it in the test's application context, hence with the
    test's database session: the session is closed before (a rollback of a session with
    no open transaction keeps the objects it loaded, so the page would show the record
    as it was before the API's requests changed it) and after (nothing the rendering
    loaded stays behind, stale, for a later flush).
    """
    db.session.remove()
    page = client.get(f"/records/{record_id}")
    db.session.remove()
    assert page.status_code == 200
    return page


def edit_and_publish(client, api_headers, publish_model, record, coordinates):
    """Edit a published record's location and publish the edit."""
    draft = client.post(f"/api/records/{record['id']}/draft", headers=api_headers).json
    draft["metadata"]["locations"]["features"][0]["geometry"]["coordinates"] = coordinates
    response = client.put(f"/api/records/{record['id']}/draft", headers=api_headers, json=draft)
    assert response.status_code == 200, response.json
    return publish_model(None, draft_id=record["id"])


def run_doi_cli(app, *args):
    """``invenio demos doi <args>``."""
    return app.test_cli_runner().invoke(demos, ["doi", *args])


def assert_rejected_for_longitude(entry):
    """A rejected entry carrying DataCite's reason: the longitude is out of range."""
    assert entry["status"] == "rejected"
    assert {
        (error["source"], error["title"])
        for error in entry["errors"]
        if error["source"].endswith("pointLongitude")
    } == {("geoLocations/0/geoLocationPoint/pointLongitude", "200.0 is greater than the maximum of 180")}
    assert entry["message"].startswith("DataCite rejected the metadata: geoLocations/0/")


def test_refused_metadata_is_rejected_shown_and_registered_once_corrected(
    app, datacite, publish_model, client, api_headers, caplog
):
    """422 → rejected with DataCite's reasons (API, landing page, log, CLI); the sweep skips it; a corrected edit registers it."""
    with caplog.at_level(logging.WARNING):
        record = publish_model(located_model("Model placed off the globe", OUT_OF_RANGE))
    doi_value = record["pids"]["doi"]["identifier"]
    concept_doi = record["parent"]["pids"]["doi"]["identifier"]

    assert record["is_published"]
    assert pid_status(doi_value) == PIDStatus.RESERVED
    assert doi_value.lower() not in datacite.dois()
    published = public_record(client, record["id"])
    assert_rejected_for_longitude(registration(published))
    assert_rejected_for_longitude(registration(published, "concept"))
    assert registration(published)["attempts"] == 1
    assert any(
        message.levelno == logging.WARNING
        and f"DataCite rejected the registration of {doi_value}" in message.getMessage()
        and "pointLongitude" in message.getMessage()
        for message in caplog.records
    )

    page = landing_page(client, record["id"])
    rejected = html.fromstring(page.data).get_element_by_id("doi-registration-version").text_content()
    assert "DOI registration rejected by DataCite:" in " ".join(rejected.split())
    assert "200.0 is greater than the maximum of 180" in rejected

    listed = run_doi_cli(app, "list", "--status", "rejected")
    assert listed.exit_code == 0, listed.output
    assert f"{record['id']}\tversion\t{doi_value}\trejected\tattempts=1" in listed.output
    assert f"{record['id']}\tconcept\t{concept_doi}\trejected" in listed.output
    assert record["id"] not in run_doi_cli(app, "list", "--status", "pending").output

    retry_pending_doi_registrations.delay()
    untouched = public_record(client, record["id"])
    assert registration(untouched)["attempts"] == registration(untouched, "concept")["attempts"] == 1
    assert pid_status(doi_value) == PIDStatus.RESERVED

    corrected = edit_and_publish(client, api_headers, publish_model, record, CERN)
    assert registration(corrected)["status"] == registration(corrected, "concept")["status"] == "registered"
    assert "errors" not in registration(corrected)
    assert pid_status(doi_value) == pid_status(concept_doi) == PIDStatus.REGISTERED
    on_datacite = datacite.dois()
    assert on_datacite[doi_value.lower()]["state"] == on_datacite[concept_doi.lower()]["state"] == "findable"
    point = on_datacite[doi_value.lower()]["geoLocations"][0]["geoLocationPoint"]
    assert float(point["pointLongitude"]) == CERN[0]
    page = landing_page(client, record["id"])
    tree = html.fromstring(page.data)
    found = tree.xpath('//*[@id="doi-registration-version"]')
    assert not found, (
        found[0].text_content(),
        public_record(client, record["id"])["custom_fields"],
        tree.xpath('//*[contains(@class, "demos-doi-registration")]/@id'),
    )
    assert record["id"] not in run_doi_cli(app, "list").output


def test_refused_metadata_update_is_rejected_until_corrected(datacite, publish_model, client, api_headers):
    """A registered DOI whose edit DataCite refuses: rejected (still registered, old metadata on DataCite)."""
    record = publish_model(located_model("Model moved off the globe", CERN))
    doi_value = record["pids"]["doi"]["identifier"]
    assert registration(record)["status"] == "registered"

    edited = edit_and_publish(client, api_headers, publish_model, record, OUT_OF_RANGE)
    assert_rejected_for_longitude(registration(edited))
    assert pid_status(doi_value) == PIDStatus.REGISTERED
    point = datacite.dois()[doi_value.lower()]["geoLocations"][0]["geoLocationPoint"]
    assert float(point["pointLongitude"]) == CERN[0]
    retry_pending_doi_registrations.delay()
    assert registration(public_record(client, record["id"]))["attempts"] == registration(edited)["attempts"]

    corrected = edit_and_publish(client, api_headers, publish_model, record, [7.0, 46.23])
    assert registration(corrected)["status"] == "registered"
    point = datacite.dois()[doi_value.lower()]["geoLocations"][0]["geoLocationPoint"]
    assert float(point["pointLongitude"]) == 7.0


@pytest.fixture()
def rejected_record(datacite, publish_model):
    """A published model whose DOIs DataCite refused."""
    record = publish_model(located_model("Model an administrator fixes", OUT_OF_RANGE))
    assert registration(record)["status"] == "rejected"
    return record


def correct_without_publishing(record_id):
    """An administrator's data fix: the stored record gets a valid location, no new publication."""
    stored = RDMRecord.pid.resolve(record_id)
    stored["metadata"]["locations"]["features"][0]["geometry"]["coordinates"] = CERN
    stored.commit()
    db.session.commit()


def test_administrator_retry(app, datacite, rejected_record, client):
    """`invenio demos doi retry`: refused again while unchanged (fails, reasons kept), registered once fixed."""
    record_id = rejected_record["id"]
    doi_value = rejected_record["pids"]["doi"]["identifier"]

    refused = run_doi_cli(app, "retry", record_id)
    assert refused.exit_code == 1
    assert f"{record_id}\tversion\t{doi_value}\trejected\tattempts=2" in refused.output
    assert "DataCite did not register 2 DOI(s)" in refused.output
    assert_rejected_for_longitude(registration(public_record(client, record_id)))

    correct_without_publishing(record_id)
    retried = run_doi_cli(app, "retry", record_id)
    assert retried.exit_code == 0, retried.output
    assert f"{record_id}\tversion\t{doi_value}\tregistered\tattempts=3" in retried.output
    published = public_record(client, record_id)
    assert registration(published)["status"] == registration(published, "concept")["status"] == "registered"
    assert pid_status(doi_value) == PIDStatus.REGISTERED
    assert datacite.dois()[doi_value.lower()]["state"] == "findable"

    again = run_doi_cli(app, "retry", record_id)
    assert again.exit_code == 0
    assert "nothing to retry" in again.output
    assert "no published record" in run_doi_cli(app, "retry", "nosuch-12345").output
