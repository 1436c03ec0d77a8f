"""What a reader sees of a model: names, numbers, dates, its type, DOIs that resolve, facet labels.

The page of a model published through the REST API (validated in the upload request) shows
the checks by name (not ``reference_points``), the measured −2 ln L next to the expected
one, when the validation was last updated as a date (not an ISO timestamp), one version
(the one the deposit form writes to both version fields); its citation calls it a
"Statistical model", not "[Dataset]". DOI links go to the resolver of the DataCite
environment: doi.org in production and for a DOI from elsewhere, DataCite's test resolver
(handle.stage.datacite.org; handle.test.datacite.org resolves nothing) in test mode, the
local DataCite-protocol server's document in development. The search's validation facet
says "needs review", not ``needs_review``.
"""

import re
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from invenio_rdm_records.proxies import current_rdm_records_service
from rest_helpers import model_metadata, publish, refresh_records_index, upload_file

from demos_registry.records_ui.doi_links import minted_doi_resolver
from demos_registry.search.config import DEMOS_FACETS

MODEL_FILE = "2-bin_1-channel.json"
BIBLIOGRAPHY = {"Accept": "text/x-bibliography"}
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture(scope="module")
def published(app, client_module, api_headers_module, shared_models):
    """A published model (version 1.2.0) and its landing page."""
    client, headers = client_module, api_headers_module
    payload = model_metadata("Landing page model", **{"demos:model_version": "1.2.0"})
    payload["metadata"]["version"] = "1.2.0"
    draft = client.post("/api/records", headers=headers, json=payload).json
    upload_file(client, headers, draft["id"], MODEL_FILE, (shared_models / "pyhf" / MODEL_FILE).read_bytes())
    assert publish(client, headers, draft["id"]).status_code == 202
    page = client.get(f"/records/{draft['id']}")
    assert page.status_code == 200
    return draft["id"], BeautifulSoup(page.data, "html.parser")


@pytest.fixture(scope="module")
def client_module(app):
    """A test client shared by the module's tests (the record is published once)."""
    return app.test_client()


@pytest.fixture(scope="module")
def api_headers_module(researcher):
    """JSON headers with the researcher's token, for the module's client."""
    return {
        "Authorization": f"Bearer {researcher.test_token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def test_checks_are_named_and_their_results_written_out(published):
    _, page = published
    names = [cell.get_text(strip=True) for cell in page.select("#demos-checks tbody th")]
    assert "Reference points" in names
    assert "reference_points" not in names
    assert all("_" not in name for name in names), names
    results = {cell.get_text(strip=True) for cell in page.select("#demos-checks tbody td:nth-of-type(1)")}
    assert results <= {"passed", "failed", "warning", "skipped", "needs review"}, results


def test_measured_value_next_to_the_expected_one(published):
    _, page = published
    headers = [cell.get_text(strip=True) for cell in page.select("#demos-reference-points thead th")]
    assert headers[2:5] == ["Expected −2 ln L", "Measured −2 ln L", "Result"]
    for row in page.select("#demos-reference-points tbody tr"):
        cells = [cell.get_text(strip=True) for cell in row.select("td")]
        expected, measured, result = float(cells[1]), float(cells[2]), cells[3]
        assert result == "within tolerance"
        assert measured == pytest.approx(expected, rel=1e-4)


def test_validation_date_is_a_human_date(published):
    _, page = published
    updated = page.find(id="demos-validation-updated")
    text = updated.get_text(" ", strip=True)
    assert not ISO_TIMESTAMP.search(text), text
    assert re.search(r"Validation last updated: \w+ \d{1,2}, \d{4}", text), text
    assert ISO_TIMESTAMP.match(updated.find("time")["datetime"])


def test_one_version_everywhere(published, client_module):
    recid, page = published
    assert page.select_one("#demos-model-version dt").get_text(strip=True) == "Version"
    assert page.select_one("#demos-model-version dd").get_text(strip=True) == "1.2.0"
    assert "Model version" not in page.get_text()
    refresh_records_index()
    hit = client_module.get(
        "/api/records",
        query_string={"q": f"id:{recid}"},
        headers={"Accept": "application/vnd.inveniordm.v1+json"},
    ).json["hits"]["hits"][0]
    assert hit["ui"]["version"] == "1.2.0", "the search results show the same version"


def test_citation_names_the_model_type(published, client_module):
    recid, _ = published
    citation = client_module.get(f"/api/records/{recid}", query_string={"style": "apa"}, headers=BIBLIOGRAPHY)
    assert citation.status_code == 200
    text = citation.get_data(as_text=True)
    assert "[Statistical model]" in text
    assert "[Dataset]" not in text
    csl = client_module.get(
        f"/api/records/{recid}", headers={"Accept": "application/vnd.citationstyles.csl+json"}
    )
    assert csl.json["genre"] == "Statistical model"


def test_a_dataset_keeps_its_citation(client, api_headers):
    payload = model_metadata("A dataset, not a model")
    payload["metadata"]["resource_type"] = {"id": "dataset"}
    payload.pop("custom_fields")
    draft = client.post("/api/records", headers=api_headers, json=payload).json
    text = client.get(
        f"/api/records/{draft['id']}/draft",
        query_string={"style": "apa"},
        headers={**api_headers, **BIBLIOGRAPHY},
    ).get_data(as_text=True)
    assert "[Dataset]" in text


@pytest.mark.parametrize(
    ("config", "resolver"),
    [
        ({"DATACITE_TEST_MODE": False}, "https://doi.org/"),
        ({"DATACITE_TEST_MODE": False, "DATACITE_URL": "http://127.0.0.1:5500/"}, "https://doi.org/"),
        ({"DATACITE_TEST_MODE": True}, "https://handle.stage.datacite.org/"),
        (
            {"DATACITE_TEST_MODE": True, "DATACITE_URL": "https://api.test.datacite.org"},
            "https://handle.stage.datacite.org/",
        ),
        (
            {"DATACITE_TEST_MODE": True, "DATACITE_URL": "http://127.0.0.1:5500/"},
            "http://127.0.0.1:5500/dois/",
        ),
        (
            {"DATACITE_TEST_MODE": True, "DEMOS_DOI_RESOLVER_URL": "https://resolver.example/"},
            "https://resolver.example/",
        ),
    ],
)
def test_minted_dois_resolve_in_their_environment(config, resolver):
    assert minted_doi_resolver(config) == resolver


def doi_holder(provider, parent_provider="datacite"):
    """What the link objects read of a record: its DOI and its parent's."""
    parent = SimpleNamespace(pids={"doi": {"identifier": "10.80000/concept", "provider": parent_provider}})
    return SimpleNamespace(
        pids={"doi": {"identifier": "10.80000/abc-123", "provider": provider}}, parent=parent
    )


@pytest.mark.parametrize(
    ("provider", "link"),
    [
        ("datacite", "https://handle.stage.datacite.org/10.80000/abc-123"),
        ("external", "https://doi.org/10.80000/abc-123"),
    ],
)
def test_record_links_go_to_the_doi_s_resolver(app, monkeypatch, provider, link):
    monkeypatch.setitem(app.config, "DATACITE_TEST_MODE", True)
    monkeypatch.setitem(app.config, "DATACITE_URL", "")
    links = current_rdm_records_service.config.links_item
    record = doi_holder(provider)
    assert links["doi"].expand(record, {}) == link
    assert links["self_doi"].expand(record, {}) == link
    assert links["parent_doi"].expand(record, {}) == "https://handle.stage.datacite.org/10.80000/concept"
    assert "handle.test.datacite.org" not in links["doi"].expand(record, {})


def test_the_validation_facet_names_its_values(app, published, client_module):
    facet = DEMOS_FACETS["validation"]["facet"]
    buckets = [SimpleNamespace(key=status) for status in ("needs_review", "overridden", "passed")]
    labels = {key: str(label) for key, label in facet.get_label_mapping(buckets).items()}
    assert labels == {
        "needs_review": "needs review",
        "overridden": "accepted by a curator",
        "passed": "passed",
    }
    refresh_records_index()
    response = client_module.get("/api/records", query_string={"q": "metadata.resource_type.id:model"})
    shown = {
        bucket["key"]: bucket["label"] for bucket in response.json["aggregations"]["validation"]["buckets"]
    }
    assert shown.get("passed") == "passed"
    assert all("_" not in label for label in shown.values()), shown


def test_quality_badge_and_lineage_are_on_the_page(published):
    _, page = published
    badge = page.find(id="demos-quality").get_text(" ", strip=True)
    assert re.search(r"Quality \d{1,3}/100", badge), badge
    lineage = page.find(id="demos-lineage")
    assert lineage.find("h3").get_text(strip=True) == "Lineage"
    assert any(MODEL_FILE in item.get_text() for item in lineage.select("li")), lineage


def test_records_search_sorts_by_quality(published, client_module):
    refresh_records_index()
    found = client_module.get(
        "/api/records", query_string={"sort": "quality", "q": "metadata.resource_type.id:model", "size": 10}
    )
    assert found.status_code == 200, found.json
    ids = [hit["id"] for hit in found.json["hits"]["hits"]]
    scores = [client_module.get(f"/api/models/{recid}").json["quality"]["score"] for recid in ids]
    assert len(scores) > 1 and scores == sorted(scores, reverse=True), scores
