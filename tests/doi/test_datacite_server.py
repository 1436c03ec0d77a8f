"""The local DataCite-protocol server, as the ``datacite`` client package sees it."""

import pytest
import requests
from datacite import DataCiteRESTClient
from datacite.errors import (
    DataCiteNotFoundError,
    DataCiteServerError,
    DataCiteUnauthorizedError,
)
from datacite_server import DataCiteServer

VALID_METADATA = {
    "creators": [{"name": "Researcher, Ada", "nameType": "Personal"}],
    "titles": [{"title": "Two-bin counting model"}],
    "publisher": {"name": "DEMOS Model Registry"},
    "publicationYear": "2024",
    "types": {"resourceTypeGeneral": "Model", "resourceType": "Statistical model"},
    "schemaVersion": "http://datacite.org/schema/kernel-4",
}


@pytest.fixture(scope="module")
def server():
    """A server of its own, on a free loopback port."""
    local = DataCiteServer("10.80000", "demos", "secret").start()
    yield local
    local.stop()


@pytest.fixture()
def datacite_client(server):
    """The DataCite client package, pointed at the server."""
    return DataCiteRESTClient("demos", "secret", "10.80000", url=server.url)


def test_states_follow_events(datacite_client):
    """Draft → findable (publish) → registered (hide) → findable (publish)."""
    assert datacite_client.draft_doi(doi="10.80000/states-1") == "10.80000/states-1"
    assert datacite_client.get_metadata("10.80000/states-1")["state"] == "draft"
    datacite_client.update_doi(
        "10.80000/states-1", metadata={**VALID_METADATA, "event": "publish"}, url="https://r/1"
    )
    assert datacite_client.get_metadata("10.80000/states-1")["state"] == "findable"
    assert datacite_client.hide_doi("10.80000/states-1")["state"] == "registered"
    assert datacite_client.show_doi("10.80000/states-1")["state"] == "findable"
    assert datacite_client.get_doi("10.80000/states-1") == "https://r/1"


def test_private_doi_is_registered_not_findable(datacite_client, server):
    """event=register: registered; anonymous readers do not see it."""
    datacite_client.private_doi(dict(VALID_METADATA), "https://r/2", doi="10.80000/private-1")
    assert datacite_client.get_metadata("10.80000/private-1")["state"] == "registered"
    assert requests.get(f"{server.url}dois/10.80000/private-1", timeout=5).status_code == 404


def test_invalid_metadata_is_422_with_json_api_errors(datacite_client, server):
    """A findable DOI must pass the DataCite 4.5 schema; nothing is stored when it does not."""
    with pytest.raises(DataCiteServerError) as refused:
        datacite_client.public_doi({**VALID_METADATA, "titles": []}, "https://r/3", doi="10.80000/bad-1")
    assert "titles" in str(refused.value)
    response = requests.post(
        f"{server.url}dois",
        json={
            "data": {
                "type": "dois",
                "attributes": {"doi": "10.80000/bad-2", "event": "publish", "url": "https://r"},
            }
        },
        auth=("demos", "secret"),
        timeout=5,
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/vnd.api+json")
    assert {error["source"] for error in response.json()["errors"]} >= {"metadata"}
    with pytest.raises(DataCiteNotFoundError):
        datacite_client.get_metadata("10.80000/bad-1")


def test_credentials_prefix_and_duplicates(server, datacite_client):
    """401 bad credentials, 403 other prefix, 422 DOI taken, 405 deleting a findable DOI."""
    with pytest.raises(DataCiteUnauthorizedError):
        DataCiteRESTClient("demos", "wrong", "10.80000", url=server.url).draft_doi(doi="10.80000/x")
    response = requests.post(
        f"{server.url}dois",
        json={"data": {"type": "dois", "attributes": {"doi": "10.1234/other"}}},
        auth=("demos", "secret"),
        timeout=5,
    )
    assert response.status_code == 403
    datacite_client.public_doi(dict(VALID_METADATA), "https://r/4", doi="10.80000/taken-1")
    with pytest.raises(DataCiteServerError, match="already been taken"):
        datacite_client.public_doi(dict(VALID_METADATA), "https://r/4", doi="10.80000/taken-1")
    response = requests.delete(f"{server.url}dois/10.80000/taken-1", auth=("demos", "secret"), timeout=5)
    assert response.status_code == 405
    datacite_client.draft_doi(doi="10.80000/deleted-1")
    datacite_client.delete_doi("10.80000/deleted-1")
    with pytest.raises(DataCiteNotFoundError):
        datacite_client.get_metadata("10.80000/deleted-1")
    assert requests.get(f"{server.url}heartbeat", timeout=5).text == "OK"


def test_coordinates_are_read_as_numbers_as_datacite_does(datacite_client):
    """Numeric-string coordinates (what InvenioRDM sends) are accepted; a longitude beyond 180° is 422."""
    located = {
        **VALID_METADATA,
        "geoLocations": [{"geoLocationPoint": {"pointLongitude": "6.05", "pointLatitude": "46.23"}}],
    }
    datacite_client.public_doi(located, "https://r/5", doi="10.80000/located-1")
    assert datacite_client.get_metadata("10.80000/located-1")["state"] == "findable"

    located["geoLocations"][0]["geoLocationPoint"]["pointLongitude"] = "200"
    with pytest.raises(DataCiteServerError, match=r"200\.0 is greater than the maximum of 180"):
        datacite_client.public_doi(located, "https://r/6", doi="10.80000/located-2")
