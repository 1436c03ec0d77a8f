"""/api/models reads published records without Invenio's full serialisation: same answers, same permissions.

GET and search build the DEMOS shape from the stored record or its search document
(service.py, "Views of published records"); these tests hold them to what Invenio's own
serialisation of the same record gives, including the files a caller may not see.
"""

from demos_registry.models_api.service import VocabularyTitles
from demos_registry.registry_entries.entries import registry_entry
from flask import current_app
from invenio_access.permissions import system_identity
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.proxies import current_search_client


def invenio_entry(record_id):
    """The registry entry computed from Invenio's full serialisation of the record."""
    record = current_rdm_records_service.read(system_identity, record_id).to_dict()
    return registry_entry(record, current_app.config["SITE_UI_URL"]), record


def entry_part(model):
    """The registry-entry part of a /api/models answer."""
    return {key: model[key] for key in registry_entry({"id": ""}, "")}


def test_get_and_search_give_what_invenio_serialisation_gives(app, published_model):
    """Registry entry, status, validation and review of a published model match the full serialisation."""
    client = app.test_client()
    expected, record = invenio_entry(published_model["id"])
    assert expected["collaboration"] and expected["files"]

    read = client.get(f"/api/models/{published_model['id']}").json
    assert entry_part(read) == expected
    assert read["status"] == "published"
    assert read["validation"] == {
        "status": record["custom_fields"]["demos:validation"]["status"],
        "updated": record["custom_fields"]["demos:validation"]["updated"],
    }

    hits = client.get("/api/models/search", query_string={"q": f"id:{published_model['id']}"}).json["hits"]
    assert [entry_part(hit) for hit in hits] == [expected]
    assert hits[0]["status"] == "published"


def test_restricted_files_stay_hidden_from_who_may_not_read_them(app, published_model, researcher_headers):
    """With files restricted, anonymous callers see the model but not its file names or checksums."""
    client = app.test_client()
    record_id = published_model["id"]
    response = client.put(
        f"/api/models/{record_id}",
        headers=researcher_headers,
        json={"access": {"record": "public", "files": "restricted"}},
    )
    assert response.status_code == 200, response.json
    current_search_client.indices.refresh(index="*")

    anonymous = client.get(f"/api/models/{record_id}").json
    assert anonymous["files"] == [] and anonymous["file_location"] is None and anonymous["checksum"] is None
    hits = client.get("/api/models/search", query_string={"q": f"id:{record_id}"}).json["hits"]
    assert hits[0]["files"] == []
    assert client.get(f"/api/models/{record_id}/file").status_code == 404

    # A fresh client: the in-process test client carries the anonymous identity over otherwise.
    owner_client = app.test_client()
    owner = owner_client.get(f"/api/models/{record_id}", headers=researcher_headers).json
    assert [item["file"] for item in owner["files"]] == [item["file"] for item in published_model["files"]]
    owner_hits = owner_client.get(
        "/api/models/search", query_string={"q": f"id:{record_id}"}, headers=researcher_headers
    ).json["hits"]
    assert owner_hits[0]["files"] == owner["files"]


def test_vocabulary_titles_are_looked_up_once_and_unknown_ids_have_none(app):
    """A title is read from the vocabulary, then served from the cache; an unknown id is None."""
    titles = VocabularyTitles(ttl=60)
    assert titles.get("demoscollaborations", "atlas") == "ATLAS"
    assert ("demoscollaborations", "atlas") in titles._titles
    assert titles.get("demoscollaborations", "no-such-collaboration") is None
