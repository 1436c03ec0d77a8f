"""The Python client against a live server: upload → validate → publish → search → download → checksum."""

import hashlib
import json

import pytest
from api_helpers import DEMO_MODELS, user_with_token
from demos_registry_client import ApiError, DemosClient
from rest_helpers import refresh_records_index


@pytest.fixture(scope="module")
def curator_token(app):
    """The curator of the domain communities (created by set-up)."""
    return user_with_token("curator@demos.local", "curator")


def test_client_round_trips_a_model(live_api, researcher, curator_token, tmp_path):
    folder = DEMO_MODELS / "neutrino-reactor-disappearance"
    entry = json.loads((folder / "entry.json").read_text())
    model_files = [path for path in sorted(folder.iterdir()) if path.name != "entry.json"]
    entry = {
        key: value
        for key, value in entry.items()
        if key not in ("model_id", "files", "checksum", "file_location")
    }
    entry["name"] = "Client round trip model"

    client = DemosClient(live_api, token=researcher.test_token, backoff_factor=0.01)
    curator = DemosClient(live_api, token=curator_token)

    submitted = client.upload(entry, model_files)
    assert submitted["status"] == "in_review" and submitted["community_request"]
    queued = client.validate(submitted["id"])
    assert queued["links"]["validation"].endswith(f"/models/{submitted['id']}/validation")
    assert client.validation(submitted["id"])["id"] == submitted["id"]

    curator.accept_submission(submitted["community_request"])
    refresh_records_index()
    assert client.get(submitted["id"])["status"] == "published"
    found = list(client.search('"Client round trip model"', size=5))
    assert submitted["id"] in [hit["id"] for hit in found]
    assert submitted["id"] in [hit["id"] for hit in client.filter(domain="neutrino", size=2)]

    downloaded = client.download(submitted["id"], tmp_path)
    original = next(path for path in model_files if path.name == downloaded.name)
    assert (
        hashlib.sha256(downloaded.read_bytes()).hexdigest()
        == hashlib.sha256(original.read_bytes()).hexdigest()
    )
    assert (
        client.metadata(submitted["id"])["checksum"]
        == "sha256:" + hashlib.sha256(original.read_bytes()).hexdigest()
    )

    translated = client.download_translated(submitted["id"], "hs3", tmp_path)
    assert translated.name.endswith(".hs3.json") and "distributions" in json.loads(translated.read_text())
    assert client.translation(submitted["id"], "hs3")["format"] == "hs3"


def test_client_pages_through_every_model(live_api):
    client = DemosClient(live_api)
    refresh_records_index()
    ids = [model["id"] for model in client.list_models(size=4)]
    assert len(ids) == len(set(ids)) >= 21
    assert client.version()["api_version"] == "1.0"
    assert set(client.health()["components"]) >= {"db", "search"}


def test_client_raises_api_errors_with_fields(live_api, researcher):
    client = DemosClient(live_api, token=researcher.test_token)
    with pytest.raises(ApiError) as missing:
        client.get("no-such-model")
    assert missing.value.status == 404
    with pytest.raises(ApiError) as invalid:
        client.upload(
            {"name": "x", "domain": "chemistry", "engine": "pyhf", "format": "pyhf-json"},
            [DEMO_MODELS / "README.md"],
        )
    assert invalid.value.status == 400 and invalid.value.errors


def test_client_retries_after_429(live_api, api_app):
    slept = []
    client = DemosClient(live_api, max_retries=2, sleep=slept.append)
    api_app.config["DEMOS_MODELS_API_RATELIMIT"] = "1 per minute"
    try:
        client.tags("gam")
        with pytest.raises(ApiError) as limited:
            client.tags("gam")
    finally:
        api_app.config["DEMOS_MODELS_API_RATELIMIT"] = "100000 per hour"
    assert limited.value.status == 429
    assert len(slept) == 2 and all(1 <= delay <= 60 for delay in slept)
