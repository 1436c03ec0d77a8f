"""Quality score and licence check: the formula, the answer of /api/models, the index (filter, sort)."""

import pytest
from api_helpers import demo_model_upload
from flask import render_template
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMRecord
from rest_helpers import refresh_records_index

from demos_registry.quality.dumper import QualityDumperExt, register_quality_dumper
from demos_registry.quality.licences import licence_check
from demos_registry.quality.score import CRITERIA, quality

LICENCES = {
    "cc-by-4.0": {"id": "cc-by-4.0", "props": {"scheme": "spdx"}},
    "cc-by-nc-4.0": {"id": "cc-by-nc-4.0", "props": {"scheme": "spdx"}},
    "cc-by-nc-nd-4.0": {"id": "cc-by-nc-nd-4.0", "props": {"scheme": "spdx"}},
    "apache-2.0": {"id": "apache-2.0", "props": {"scheme": "spdx", "osi_approved": "y"}},
    "cc0-1.0": {"id": "cc0-1.0", "props": {"scheme": "spdx"}},
    "sspl-1.0": {"id": "sspl-1.0", "props": {"scheme": "spdx"}},
}

COMPLETE = {
    "metadata": {
        "description": "A full likelihood of a search. " * 10,
        "rights": [{"id": "cc-by-4.0"}],
        "creators": [
            {
                "person_or_org": {
                    "type": "personal",
                    "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}],
                }
            },
            {"person_or_org": {"type": "organizational", "name": "ATLAS"}},
        ],
        "related_identifiers": [{"scheme": "url", "identifier": "https://www.hepdata.net/record/ins1748602"}],
    },
    "custom_fields": {
        "demos:validation": {"status": "passed"},
        "demos:reference_points": [{"label": "mu = 1", "parameters": {"mu": 1}, "expected": 3.2}],
        "demos:expected_outputs": {"upper_limit": 1.4},
        "demos:external_references": [{"scheme": "arxiv", "identifier": "arXiv:1909.09226"}],
    },
}


@pytest.fixture(scope="module")
def indexed_quality(app):
    """Every model indexed with its quality (the installed Quality extension registered the dumper)."""
    assert "demos-quality" in app.extensions
    with app.app_context():
        for model in RDMRecord.model_cls.query.filter_by(is_deleted=False):
            current_rdm_records_service.indexer.index(RDMRecord(model.data, model=model))
    refresh_records_index()


def test_points_of_the_criteria_sum_to_100():
    assert sum(points for _, points, _, _ in CRITERIA) == 100


def test_licence_check_flags_missing_unknown_and_not_open_licences_with_the_reason():
    assert licence_check([{"id": "cc-by-4.0"}], LICENCES)["status"] == "open"
    assert licence_check([{"id": "apache-2.0"}], LICENCES)["status"] == "open"
    assert licence_check([{"id": "cc0-1.0"}], LICENCES)["status"] == "open"
    missing = licence_check([], LICENCES)
    assert missing["status"] == "missing" and missing["reason"] and missing["fix"]
    non_commercial = licence_check([{"id": "cc-by-nc-4.0"}], LICENCES)
    assert non_commercial["status"] == "not_open" and "NonCommercial" in non_commercial["reason"]
    no_derivatives = licence_check([{"id": "cc-by-nc-nd-4.0"}], LICENCES)
    assert "NonCommercial" in no_derivatives["reason"] and "NoDerivatives" in no_derivatives["reason"]
    assert "OSI" in licence_check([{"id": "sspl-1.0"}], LICENCES)["reason"]
    custom = licence_check([{"title": {"en": "Our own terms"}}], LICENCES)
    assert custom["status"] == "unknown" and "Our own terms" in custom["reason"]
    dual = licence_check([{"id": "cc-by-nc-4.0"}, {"id": "cc-by-4.0"}], LICENCES)
    assert dual == {"status": "open", "id": "cc-by-4.0", "reason": None, "fix": None}


def test_complete_model_scores_100_and_an_empty_one_0_with_every_fix(app):
    with app.app_context():
        complete = quality(COMPLETE)
        assert complete["score"] == 100 and complete["missing"] == []
        empty = quality({"metadata": {}, "custom_fields": {}})
    assert empty["score"] == 0
    assert [gap["criterion"] for gap in empty["missing"]] == [name for name, _, _, _ in CRITERIA]
    assert all(gap["fix"] and gap["points"] > 0 for gap in empty["missing"])
    assert empty["licence"]["status"] == "missing"


def test_partial_criteria_give_partial_points(app):
    record = {
        "metadata": {
            **COMPLETE["metadata"],
            "description": "x" * 100,
            "rights": [{"id": "cc-by-nc-4.0"}],
            "creators": [
                *COMPLETE["metadata"]["creators"],
                {"person_or_org": {"type": "personal", "name": "No ORCID"}},
            ],
        },
        "custom_fields": {**COMPLETE["custom_fields"], "demos:validation": {"status": "needs_review"}},
    }
    with app.app_context():
        result = quality(record)
    gaps = {gap["criterion"]: gap["points"] for gap in result["missing"]}
    assert gaps == {"validation": 20, "licence": 10, "description": 5, "creators_orcid": 5}
    assert result["score"] == 60
    assert result["licence"]["status"] == "not_open"


def test_dumper_is_registered_once_and_leaves_loaded_records_without_quality(app):
    register_quality_dumper()
    register_quality_dumper()
    assert sum(isinstance(e, QualityDumperExt) for e in RDMRecord.dumper._extensions) == 1
    data = {"custom_fields": {"demos:quality": {"score": 1}, "demos:tags": ["a"]}}
    QualityDumperExt().load(data, RDMRecord)
    assert data == {"custom_fields": {"demos:tags": ["a"]}}


def test_every_model_answers_its_quality(client, indexed_quality):
    response = client.get("/api/models", query_string={"size": 50})
    assert response.status_code == 200
    for hit in response.json["hits"]:
        assert 0 <= hit["quality"]["score"] <= 100
        assert hit["quality"]["licence"]["status"] in ("open", "missing", "unknown", "not_open")
        assert all(gap["fix"] for gap in hit["quality"]["missing"])
        single = client.get(f"/api/models/{hit['id']}").json["quality"]
        assert single == hit["quality"]


def test_min_quality_filters_in_the_index(client, indexed_quality):
    everything = client.get("/api/models", query_string={"size": 100}).json
    scores = sorted(hit["quality"]["score"] for hit in everything["hits"])
    assert len(set(scores)) > 1, "the demo models should differ in quality"
    threshold = scores[len(scores) // 2]
    for route, extra in (("", {}), ("/search", {"q": "*"}), ("/filter", {})):
        page = client.get(
            f"/api/models{route}", query_string={"min_quality": threshold, "size": 100, **extra}
        )
        assert page.status_code == 200, page.json
        assert page.json["total"] == sum(score >= threshold for score in scores)
        assert all(hit["quality"]["score"] >= threshold for hit in page.json["hits"])
    assert client.get("/api/models", query_string={"min_quality": 0}).json["total"] == everything["total"]


def test_min_quality_out_of_range_is_400_naming_it(client):
    for value in ("101", "-1", "good"):
        response = client.get("/api/models", query_string={"min_quality": value})
        assert response.status_code == 400
        assert "min_quality" in {error["field"] for error in response.json["errors"]}


def test_sort_by_quality_puts_the_best_first(client, indexed_quality):
    page = client.get("/api/models", query_string={"sort": "quality", "size": 100})
    assert page.status_code == 200, page.json
    scores = [hit["quality"]["score"] for hit in page.json["hits"]]
    assert scores == sorted(scores, reverse=True) and len(scores) > 1


def test_a_non_open_licence_is_flagged_on_the_model(client, researcher_headers, indexed_quality):
    created = client.post(
        "/api/models?publish=true",
        headers=researcher_headers,
        data=demo_model_upload(name="Non-commercial model", version="1.0.1", license="cc-by-nc-4.0"),
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.json
    licence = created.json["quality"]["licence"]
    assert licence["status"] == "not_open" and "NonCommercial" in licence["reason"]
    assert "licence" in {gap["criterion"] for gap in created.json["quality"]["missing"]}
    assert created.json["status"] == "published"
    refresh_records_index()
    flagged = client.get(
        "/api/models/search",
        query_string={"q": "custom_fields.demos\\:quality.licence:not_open", "size": 100},
    )
    assert created.json["id"] in {hit["id"] for hit in flagged.json["hits"]}


def test_landing_page_badge_shows_score_licence_flag_and_fixes(app):
    record_ui = {
        "metadata": {"rights": [{"id": "cc-by-nc-4.0"}], "description": "short"},
        "custom_fields": {"demos:validation": {"status": "passed"}},
    }
    with app.test_request_context():
        html = " ".join(
            render_template("demos_registry/records/quality_badge.html", record_ui=record_ui).split()
        )
    assert "Quality 20/100" in html
    assert 'id="demos-licence-flag"' in html and "NonCommercial" in html
    assert "Add the HEPData record" in html and "<details" in html
