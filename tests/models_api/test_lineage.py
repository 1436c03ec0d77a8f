"""GET /api/models/{id}/lineage: versions, files, signal points, translations and related works as a graph."""

import pytest
from api_helpers import demo_model_upload
from flask import g, render_template
from flask_principal import Identity
from invenio_access.permissions import any_user
from rest_helpers import refresh_records_index

from demos_registry.lineage.drawing import MAX_PER_COLUMN, lineage_drawing
from demos_registry.lineage.graph import lineage_graph

PATCHSET_MODEL = "5f8cf102-1c53-5e9e-afdf-db97a86a7bf3"
"""Demo model pyhf-example-patchset: a background-only workspace and a signal patchset."""
PUBLICATION_DOI = "10.1103/PhysRevD.109.112006"
HEPDATA_RECORD = "https://www.hepdata.net/record/ins1748602"


@pytest.fixture(scope="module")
def second_version(app, published_model, researcher_headers):
    """A new version of the fixture model (same model id) citing a publication and a HEPData record."""
    response = app.test_client().post(
        "/api/models?publish=true",
        headers=researcher_headers,
        data=demo_model_upload(
            name="API fixture model",
            version="10.0.0",
            model_id=published_model["model_id"],
            external_references=[
                {"scheme": "doi", "identifier": PUBLICATION_DOI},
                {"scheme": "hepdata", "identifier": HEPDATA_RECORD},
            ],
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    refresh_records_index()
    return response.json


def by_kind(graph, kind):
    return [node for node in graph["nodes"] if node["kind"] == kind]


def test_versions_are_linked_newest_to_oldest(client, published_model, second_version):
    graph = client.get(f"/api/models/{second_version['id']}/lineage").json
    versions = by_kind(graph, "version")
    assert [node["record_id"] for node in versions] == [published_model["id"], second_version["id"]]
    assert [node["current"] for node in versions] == [False, True]
    assert {
        "source": f"record:{second_version['id']}",
        "relation": "isnewversionof",
        "target": f"record:{published_model['id']}",
    } in graph["edges"]
    older = client.get(f"/api/models/{published_model['id']}/lineage").json
    assert [node["record_id"] for node in by_kind(older, "version")] == [
        published_model["id"],
        second_version["id"],
    ]


def test_publications_and_hepdata_are_nodes_with_their_datacite_relations(client, second_version):
    graph = client.get(f"/api/models/{second_version['id']}/lineage").json
    publication = next(node for node in by_kind(graph, "publication") if node["label"] == PUBLICATION_DOI)
    assert publication["url"] == f"https://doi.org/{PUBLICATION_DOI}"
    hepdata = next(node for node in by_kind(graph, "hepdata"))
    assert hepdata["url"] == HEPDATA_RECORD
    relations = {edge["target"]: edge["relation"] for edge in graph["edges"]}
    assert relations[publication["id"]] == "issupplementto"
    assert relations[hepdata["id"]] == "isderivedfrom"


def test_the_graph_and_the_datacite_metadata_name_the_same_relations(client, second_version):
    graph = client.get(f"/api/models/{second_version['id']}/lineage").json
    datacite = client.get(
        f"/api/records/{second_version['id']}", headers={"Accept": "application/vnd.datacite.datacite+json"}
    ).json
    declared = {
        (related["relatedIdentifier"].lower(), related["relationType"].lower())
        for related in datacite["relatedIdentifiers"]
    }
    nodes = {node["id"]: node for node in graph["nodes"]}
    for edge in graph["edges"]:
        node = nodes[edge["target"]]
        if node["kind"] in ("publication", "hepdata", "reference"):
            assert (node["label"].lower(), edge["relation"]) in declared


def test_signal_points_derive_from_the_workspace_and_the_translation_from_the_file(client):
    graph = client.get(f"/api/models/{PATCHSET_MODEL}/lineage").json
    files = {node["label"] for node in by_kind(graph, "file")}
    assert {"example_bkgonly.json", "example_patchset.json"} <= files
    points = by_kind(graph, "signal_point")
    assert points and all(point["label"] for point in points)
    derived = {
        edge["source"]: edge["target"] for edge in graph["edges"] if edge["relation"] == "isderivedfrom"
    }
    assert all(derived[point["id"]] == "file:example_bkgonly.json" for point in points)
    translation = by_kind(graph, "translation")
    assert translation and translation[0]["format"] == "hs3"
    assert translation[0]["links"]["self"].endswith("/file?format=hs3")
    node_ids = {node["id"] for node in graph["nodes"]}
    assert all(edge["source"] in node_ids and edge["target"] in node_ids for edge in graph["edges"])


def test_signal_points_beyond_the_limit_are_counted_not_drawn():
    rows = [{"index": i, "name": f"p{i}", "workspace": "bkg.json", "coordinates": {"m": i}} for i in range(5)]
    record = {
        "id": "abc",
        "metadata": {"title": "A model"},
        "custom_fields": {
            "demos:validation": {
                "report": {"checks": [{"id": "patch_points", "details": {"points": 5, "rows": rows}}]}
            }
        },
        "files": {"entries": {"bkg.json": {}}},
    }
    graph = lineage_graph(record, [], "http://api", "http://ui", max_points=2)
    assert len(by_kind(graph, "signal_point")) == 2
    assert graph["truncated"] == {"signal_points": 3}
    assert by_kind(graph, "version")[0]["current"] is True


def test_unknown_model_is_404(client):
    assert client.get("/api/models/does-not-exist/lineage").status_code == 404


def test_landing_page_lists_the_relations_readably(app, client):
    record_id = client.get(f"/api/models/{PATCHSET_MODEL}").json["id"]
    identity = Identity(None)
    identity.provides.add(any_user)
    with app.test_request_context():
        g.identity = identity
        html = " ".join(
            render_template("demos_registry/records/lineage_list.html", record_ui={"id": record_id}).split()
        )
    assert 'aria-labelledby="demos-lineage-heading"' in html
    assert "example_bkgonly.json</a> <em>is part of</em>" in html
    assert "<em>is derived from</em>" in html and "<em>is another format of</em>" in html
    assert '<svg id="demos-lineage-graph"' in html and "relations, listed below</title>" in html


def test_the_drawing_has_a_box_per_node_and_a_line_per_edge_up_to_a_column_s_limit():
    points = [{"id": f"point:{i}", "kind": "signal_point", "label": f"patch {i}"} for i in range(12)]
    graph = {
        "nodes": [
            {"id": "record:1", "kind": "version", "label": "Model 1.0", "links": {"html": "/records/1"}},
            {"id": "record:2", "kind": "version", "label": "Model 2.0", "links": {"html": "/records/2"}},
            {"id": "file:ws.json", "kind": "file", "label": "ws.json"},
            {"id": "doi:10.1/x", "kind": "publication", "label": "10.1/x", "url": "https://doi.org/10.1/x"},
            *points,
        ],
        "edges": [
            {"source": "record:2", "relation": "isnewversionof", "target": "record:1"},
            {"source": "file:ws.json", "relation": "ispartof", "target": "record:2"},
            {"source": "record:2", "relation": "isdocumentedby", "target": "doi:10.1/x"},
            *({"source": p["id"], "relation": "isderivedfrom", "target": "file:ws.json"} for p in points),
        ],
    }
    drawing = lineage_drawing(graph)
    kinds = [box["kind"] for box in drawing["boxes"]]
    assert kinds.count("version") == 2 and kinds.count("file") == 1 and kinds.count("publication") == 1
    assert kinds.count("signal_point") == MAX_PER_COLUMN
    (more,) = [box for box in drawing["boxes"] if box["more"]]
    assert more["label"] == f"+{12 - MAX_PER_COLUMN} more"
    assert len(drawing["lines"]) == 3 + MAX_PER_COLUMN  # the hidden points' edges are not drawn
    assert {box["title"] for box in drawing["boxes"] if box["kind"] == "version"} == {
        "Model 1.0",
        "Model 2.0",
    }
    right_edge = max(box["x"] + box["width"] for box in drawing["boxes"])
    assert right_edge <= drawing["width"] and all(line["x2"] <= drawing["width"] for line in drawing["lines"])
    assert lineage_drawing({"nodes": graph["nodes"][:1], "edges": []}) is None
