"""The front page, header and footer are the registry's, with figures that match the search.

``/`` shows what the registry is, the search box, the six physics domains with their model
counts, how many models passed validation, recent and golden models with their badges, a
"Publish a model" button and links to the API docs, the Python client, the CLI and the
GitHub Action; nothing of InvenioRDM's stock intro or footer. Every figure is compared with
a count obtained independently: a query of ``/api/records`` (what any visitor can find) and
the domain titles of ``app_data/vocabularies/demos_domains.yaml``.
"""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from invenio_cache import current_cache

from demos_registry.frontpage import stats
from demos_registry.frontpage.stats import forget_stats

DOMAINS_FILE = Path(__file__).resolve().parent.parent / "app_data" / "vocabularies" / "demos_domains.yaml"
MODELS = "metadata.resource_type.id:model"
DEMO_MODELS = 21


def records_total(client, query, **params):
    """How many published records ``/api/records`` finds for a query, as an anonymous visitor."""
    response = client.get(
        "/api/records", query_string={"q": query, "size": 1, **params}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.data[:500]
    return response.json["hits"]["total"], response.json["hits"]["hits"]


def domain_titles():
    """Domain id → English title, from the vocabulary file that setup loads."""
    return {entry["id"]: entry["title"]["en"] for entry in yaml.safe_load(DOMAINS_FILE.read_text())}


@pytest.fixture()
def front_page(app, client):
    """The front page as an anonymous visitor sees it, with figures computed now (not cached)."""
    with app.app_context():
        forget_stats()
    response = client.get("/")
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def count_of(soup, element_id):
    """The figure shown in an element (its visible number and its data-count agree)."""
    element = soup.find(id=element_id)
    assert element is not None, f"#{element_id} is missing"
    shown = element.select_one(".value, .demos-domain-count").get_text(strip=True)
    assert shown == element["data-count"]
    return int(shown)


def test_no_stock_invenio_text(front_page):
    text = front_page.get_text(" ")
    assert "successfully installed InvenioRDM" not in text
    assert "What is ahead?" not in text
    assert "About InvenioRDM" not in text
    assert "Roadmap" not in text
    assert "statistical models" in front_page.find(id="demos-frontpage-intro").get_text()


def test_search_box_searches_models(front_page):
    form = front_page.find("form", id="demos-frontpage-search")
    assert urlsplit(form["action"]).path == "/search"
    assert form.find("input", attrs={"name": "q", "type": "text"}) is not None
    assert form.find("input", attrs={"name": "f"})["value"] == "resource_type:model"


def test_domains_with_their_model_counts(front_page, client):
    titles = domain_titles()
    assert len(titles) == 6
    total, _ = records_total(client, MODELS)
    assert total >= DEMO_MODELS
    cards = front_page.select("#demos-frontpage-domains .demos-domain")
    assert [card["data-domain"] for card in cards] == list(titles), "in the vocabulary's order"
    shown_total = 0
    for domain, title in titles.items():
        card = front_page.find(id=f"demos-domain-{domain}")
        assert card.find("h3").get_text(strip=True) == title
        expected, _ = records_total(client, f"{MODELS} AND custom_fields.demos\\:domain.id:{domain}")
        assert count_of(front_page, f"demos-domain-{domain}") == expected, domain
        assert expected > 0, f"every domain has demo models, {domain} has none"
        shown_total += expected
        link = urlsplit(card["href"])
        assert link.path == "/search"
        assert parse_qs(link.query)["f"] == [f"domain:{domain}"]
    assert shown_total == total, "every model has exactly one domain"
    assert count_of(front_page, "demos-count-models") == total


def test_passed_and_golden_figures(front_page, client):
    passed, _ = records_total(client, f"{MODELS} AND custom_fields.demos\\:validation.status:passed")
    golden, _ = records_total(
        client, f"{MODELS} AND custom_fields.demos\\:validation.status:(passed OR overridden)"
    )
    assert passed > 0
    assert count_of(front_page, "demos-count-passed") == passed
    assert count_of(front_page, "demos-count-golden") == golden
    assert client.get("/api/models/golden").json["count"] == golden
    assert parse_qs(urlsplit(front_page.find(id="demos-count-passed")["href"]).query)["f"] == [
        "validation:passed"
    ]


def test_recent_and_golden_models_with_badges(front_page, client):
    _, newest = records_total(client, MODELS, sort="newest")
    recent = front_page.select("#demos-frontpage-recent .demos-frontpage-model")
    assert 5 <= len(recent) <= 6
    assert recent[0]["data-record-id"] == newest[0]["id"]
    golden = front_page.select("#demos-frontpage-golden .demos-frontpage-model")
    assert golden, "the demo models that passed are listed as golden"
    recent_ids = {item["data-record-id"] for item in recent}
    for item in golden:
        assert item["data-record-id"] not in recent_ids
        assert item.select_one(".demos-badge-passed, .demos-badge-overridden") is not None
    titles = set(domain_titles().values())
    for item in recent + golden:
        record = client.get(f"/api/records/{item['data-record-id']}").json
        fields = record["custom_fields"]
        assert item.select_one("a.header").get_text(strip=True) == record["metadata"]["title"]
        labels = [label.get_text(" ", strip=True) for label in item.select(".demos-model-badges .label")]
        domain_label = next(label for label in labels if label.startswith("Domain:"))
        assert domain_label.removeprefix("Domain:").strip() in titles
        assert f"Engine: {fields['demos:engine']['title']['en']}" in labels
        assert item.select_one(f".demos-badge-{fields['demos:validation']['status']}") is not None


def test_publish_button_and_tool_links(front_page):
    publish = front_page.find(id="demos-frontpage-publish")
    assert publish.get_text(strip=True) == "Publish a model"
    assert publish["href"] == "/uploads/new"
    assert urlsplit(front_page.find(id="demos-link-api")["href"]).path == "/api/models/docs"
    assert front_page.find(id="demos-link-client")["href"] == "/help#python-client"
    assert front_page.find(id="demos-link-cli")["href"] == "/help#cli"
    assert front_page.find(id="demos-link-action")["href"] == "/help#github-action"


def test_linked_pages_exist(client):
    assert client.get("/api/models/docs").status_code == 200
    help_page = client.get("/help")
    assert help_page.status_code == 200
    soup = BeautifulSoup(help_page.data, "html.parser")
    anchors = {anchor.get("name") for anchor in soup.find_all("a")}
    assert {"python-client", "cli", "github-action", "contact"} <= anchors
    text = soup.get_text(" ")
    for words in ("pip install ./clients/python", "demos-validate", ".github/actions/validate-models"):
        assert words in text
    for _ in range(2):  # invenio-pages' own fallback fails on the second request of a page
        about = client.get("/about")
        assert about.status_code == 200
        assert b"DEMOS Model Registry" in about.data
        assert client.get("/help").status_code == 200


def test_footer_is_the_registry_s(front_page):
    footer = front_page.find("footer")
    text = footer.get_text(" ")
    assert "About InvenioRDM" not in text
    assert "Product page" not in text
    hrefs = {urlsplit(link["href"])._replace(scheme="", netloc="").geturl() for link in footer.find_all("a")}
    for href in (
        "/about",
        "/help",
        "/api/models/docs",
        "/help#python-client",
        "/help#cli",
        "/help#github-action",
    ):
        assert href in hrefs


def header_publish_links(response):
    """The "Publish a model" links of the page's navigation bar."""
    navigation = BeautifulSoup(response.data, "html.parser").find(id="invenio-nav")
    return [link for link in navigation.find_all("a") if link.get_text(strip=True) == "Publish a model"]


def test_header_shows_publish_a_model_to_logged_in_users(logged_in_client):
    for path in ("/", "/search", "/help"):
        links = header_publish_links(logged_in_client.get(path))
        assert [link["href"] for link in links] == ["/uploads/new"], path


def test_header_has_no_publish_link_for_visitors(client):
    for path in ("/", "/search"):
        assert header_publish_links(client.get(path)) == [], path


def test_front_page_renders_when_search_is_down(app, client, monkeypatch):
    def search_down():
        raise ConnectionError("search server unreachable")

    monkeypatch.setattr(stats, "compute_stats", search_down)
    with app.app_context():
        forget_stats()
    response = client.get("/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert "cannot be shown right now" in soup.get_text(" ")
    assert soup.find(id="demos-frontpage-search") is not None
    assert soup.find(id="demos-link-api") is not None
    with app.app_context():
        assert current_cache.get(stats.CACHE_KEY) is None, "nothing cached"
