"""/api/models reads published records without Invenio's full serialisation: same answers, same permissions.

GET and search build the DEMOS shape from the stored record or its search document
(services/service.py, "Records as the DEMOS shape needs them"); these tests hold them to
what Invenio's own REST API answers for the same record, including the files a caller may
not see.
"""

import hashlib

from api_helpers import DEMO_MODELS
from flask import current_app
from invenio_search.proxies import current_search_client

from demos_registry.models_api.services.vocabulary_titles import VocabularyTitles

MODEL_KEYS = {
    "id",
    "model_id",
    "name",
    "doi",
    "record_doi",
    "version",
    "domain",
    "collaboration",
    "engine",
    "format",
    "file_location",
    "source_location",
    "checksum",
    "files",
    "reference_points",
    "external_references",
    "metadata",
    "validation_status",
    "submission_date",
    "last_updated",
    "status",
    "validation",
    "community_request",
    "quality",
    "links",
}
"""Every key of a model in /api/models: the seed's registry entry, then the registry's additions."""


def test_get_and_search_give_what_invenio_rest_api_gives(app, published_model):
    """A published model's fields match Invenio's REST answer for its record and the uploaded file."""
    client = app.test_client()
    record_id = published_model["id"]
    record = client.get(f"/api/records/{record_id}").json
    fields = record["custom_fields"]
    sha256 = hashlib.sha256(
        (DEMO_MODELS / "astroparticle-gamma-excess" / "workspace.json").read_bytes()
    ).hexdigest()

    read = client.get(f"/api/models/{record_id}").json
    assert set(read) == MODEL_KEYS
    assert read["id"] == record_id and read["status"] == "published"
    assert read["model_id"] == fields["demos:model_id"]
    assert read["name"] == record["metadata"]["title"] == "API fixture model"
    assert read["version"] == fields["demos:model_version"] == "9.9.9"
    assert read["domain"] == fields["demos:domain"]["id"] == "astroparticle"
    assert read["collaboration"] == fields["demos:collaboration"]["title"]["en"] == "DEMOS pedagogical models"
    assert read["engine"] == fields["demos:engine"]["id"] == "pyhf"
    assert read["format"] == fields["demos:format"]["id"] == "pyhf-json"
    assert list(record["files"]["entries"]) == ["workspace.json"]
    assert read["files"] == [{"file": "workspace.json", "sha256": sha256}]
    assert read["checksum"] == f"sha256:{sha256}"
    assert read["file_location"] == (
        f"{current_app.config['SITE_UI_URL']}/records/{record_id}/files/workspace.json"
    )
    assert read["record_doi"] == record["pids"].get("doi", {}).get("identifier")
    assert read["reference_points"] == fields["demos:reference_points"] and len(read["reference_points"]) == 2
    assert read["metadata"] == {
        "tags": ["gamma-ray", "cherenkov", "pedagogical"],
        "search_keywords": ["H.E.S.S.-like", "Li-Ma"],
        "citations": [],
    }
    assert read["submission_date"] == record["metadata"]["publication_date"]
    assert read["last_updated"] == record["updated"][:10]
    assert read["validation"] == {
        "status": fields["demos:validation"]["status"],
        "updated": fields["demos:validation"]["updated"],
    }

    hits = client.get("/api/models/search", query_string={"q": f"id:{record_id}"}).json["hits"]
    assert hits == [read]


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
    assert ("demoscollaborations", "atlas") in titles
    assert titles.get("demoscollaborations", "no-such-collaboration") is None
