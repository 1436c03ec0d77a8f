"""Plain full-text queries find a model by its tags, citations and external references.

Three published models each carry one word no other record has: in a tag, in a
citation, in an external reference. A plain query of that word, on Invenio's
``/api/records`` and on the seed's ``/api/models/search``, finds that model and no other.
"""

import uuid

import pytest
from rest_helpers import (
    create_draft,
    model_metadata,
    publish,
    refresh_records_index,
    upload_file,
)
from test_validation_runs import MODEL_FILE

PLACES = ["tag", "citation", "reference"]


def unique_word():
    """A word no other record contains."""
    return f"zq{uuid.uuid4().hex[:10]}"


def published_model(client, headers, shared_models, title, **custom_fields):
    """A published model with the given DEMOS fields; its record id."""
    draft = create_draft(client, headers, model_metadata(title, **custom_fields)).json
    upload_file(client, headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    assert publish(client, headers, draft["id"]).status_code == 202
    return draft["id"]


@pytest.fixture(scope="module")
def findable_models(app, researcher, shared_models):
    """Where the word is → (the word, the id of the one model holding it)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {researcher.test_token}", "Content-Type": "application/json"}
    tag, citation, reference = unique_word(), unique_word(), str(7_000_000 + uuid.uuid4().int % 1_000_000)
    fields = {
        "tag": (tag, {"demos:tags": ["rare-decay", tag]}),
        "citation": (
            citation,
            {"demos:citations": [f"A. Author, Phys. Lett. B 800, 135 (2024), {citation} fit"]},
        ),
        "reference": (
            reference,
            {"demos:external_references": [{"scheme": "inspire", "identifier": reference}]},
        ),
    }
    models = {
        where: (
            word,
            published_model(client, headers, shared_models, f"Full-text model by {where}", **values),
        )
        for where, (word, values) in fields.items()
    }
    refresh_records_index()
    return models


@pytest.mark.parametrize("where", PLACES)
def test_records_search_finds_the_model_by_its_word(client, findable_models, where):
    """/api/records?q=<word>: exactly the model holding it."""
    word, record_id = findable_models[where]
    response = client.get("/api/records", query_string={"q": word}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.json
    assert [hit["id"] for hit in response.json["hits"]["hits"]] == [record_id]


@pytest.mark.parametrize("where", PLACES)
def test_models_search_finds_the_model_by_its_word(client, findable_models, where):
    """/api/models/search?q=<word>: exactly the model holding it."""
    word, record_id = findable_models[where]
    response = client.get("/api/models/search", query_string={"q": word})
    assert response.status_code == 200, response.json
    assert [hit["id"] for hit in response.json["hits"]] == [record_id]
