"""GET /api/models/search?regex=: names and tags, bounded so a hostile pattern never reaches the engine.

The demo models (indexed by the instance set-up) are what the patterns match.
"""

import time

import pytest

HOSTILE_PATTERNS = [
    "(a+)+b",
    "(.*a){20}",
    "((a|aa)*)*b",
    "(x+x+)+y",
    "a{1,100000}",
    "(" * 50 + "a" + ")" * 50,
    "a" * 5000,
    "~(a)",
    "@",
    "<1-999999999>",
    "*foo",
]


def test_regex_matches_whole_names_regardless_of_case(client):
    response = client.get("/api/models/search", query_string={"regex": "PYHF EXAMPLE.*", "size": 50})
    assert response.status_code == 200, response.json
    names = [hit["name"] for hit in response.json["hits"]]
    assert names and all(name.lower().startswith("pyhf example") for name in names)
    assert client.get("/api/models/search", query_string={"regex": "pyhf"}).json["total"] == 0


def test_regex_matches_tags(client):
    response = client.get("/api/models/search", query_string={"regex": "patch(set|es)", "size": 50})
    assert response.status_code == 200
    assert any("patchset" in hit["metadata"]["tags"] for hit in response.json["hits"])


def test_regex_combines_with_a_query(client):
    both = client.get("/api/models/search", query_string={"regex": ".*neutrino.*|.*reactor.*", "q": "*"})
    assert both.status_code == 200


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_hostile_patterns_are_refused_at_once_naming_regex(client, pattern):
    started = time.monotonic()
    response = client.get("/api/models/search", query_string={"regex": pattern})
    assert time.monotonic() - started < 2
    assert response.status_code == 400, response.json
    errors = {error["field"]: error["messages"] for error in response.json["errors"]}
    assert "regex" in errors and errors["regex"][0]


def test_search_needs_q_or_regex(client):
    response = client.get("/api/models/search")
    assert response.status_code == 400
    assert "q" in {error["field"] for error in response.json["errors"]}
