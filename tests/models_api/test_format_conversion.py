"""GET /api/models/{id}/file?format=hs3|pyhf and its companion /translation: the engine's translators."""

import json

import pyhf
import pytest
from invenio_db import db
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMRecord
from rest_helpers import refresh_records_index

from demos_registry.conversion.translate import NotTranslatable, agreement, parsed_model, translate

PYHF_MODEL = "16c3bfab-c359-53f4-a688-02591aed10f3"
"""Demo model pyhf-2-bin-1-channel (a pyhf workspace)."""
HS3_MODEL = "3cc1527b-e9d9-5fd4-84c1-e093b4fb10ae"
"""Demo model hs3-correlated-background (an HS3 document)."""


def test_a_pyhf_workspace_downloads_as_hs3_with_the_agreement_header(client):
    response = client.get(f"/api/models/{PYHF_MODEL}/file", query_string={"format": "hs3"})
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "application/json"
    document = response.json
    assert ".hs3.json" in response.headers["Content-Disposition"]
    assert document["distributions"][0]["type"] == "histfactory_dist" and document["likelihoods"]
    status, points = response.headers["Translation-Agreement"].split("; ")
    assert status == "passed" and int(points.removeprefix("points=")) > 0
    assert 'rel="describedby"' in response.headers["Link"]
    back, translated = translate(document, "hs3", "pyhf")
    assert translated and pyhf.Workspace(back).model()


def test_an_hs3_model_downloads_as_a_pyhf_workspace(client):
    response = client.get(f"/api/models/{HS3_MODEL}/file", query_string={"format": "pyhf"})
    assert response.status_code == 200, response.data[:500]
    workspace = pyhf.Workspace(response.json)
    assert workspace.model().config.poi_name
    assert response.headers["Translation-Agreement"].startswith(("passed", "warning"))


def test_the_companion_json_names_the_points_and_values_of_the_cross_engine_check(client):
    response = client.get(f"/api/models/{PYHF_MODEL}/translation", query_string={"format": "hs3"})
    assert response.status_code == 200, response.json
    translation = response.json
    assert translation["source_format"] == "pyhf-workspace" and translation["format"] == "hs3"
    assert translation["translated"] is True and "document" not in translation
    agreement = translation["agreement"]
    assert agreement["status"] == "passed" and {"pyhf", "pyhs3"} <= set(agreement["engines"])
    assert agreement["points"], "the points (parameter values, −2Δ ln L per engine) of the check"
    assert translation["links"]["hs3"].endswith("/file?format=hs3")


def test_a_file_already_in_the_format_is_sent_untranslated(client):
    response = client.get(f"/api/models/{PYHF_MODEL}/file", query_string={"format": "pyhf"})
    assert response.status_code == 200
    assert response.headers["Translation-Agreement"] == "not_translated; points=0"
    assert "channels" in response.json


def test_an_unknown_format_is_400_naming_it(client):
    for route in ("file", "translation"):
        response = client.get(f"/api/models/{PYHF_MODEL}/{route}", query_string={"format": "xml"})
        assert response.status_code == 400
        assert "format" in {error["field"] for error in response.json["errors"]}
    missing = client.get(f"/api/models/{PYHF_MODEL}/translation")
    assert missing.status_code == 400 and "format" in {e["field"] for e in missing.json["errors"]}


@pytest.fixture
def failed_model(app, published_model):
    """The fixture model with a failed validation, restored afterwards."""
    with app.app_context():
        record = RDMRecord.pid.resolve(published_model["id"])
        before = record["custom_fields"]["demos:validation"]
        record["custom_fields"]["demos:validation"] = {**before, "status": "failed"}
        record.commit()
        db.session.commit()
        current_rdm_records_service.indexer.index(record)
    refresh_records_index()
    yield published_model
    with app.app_context():
        record = RDMRecord.pid.resolve(published_model["id"])
        record["custom_fields"]["demos:validation"] = before
        record.commit()
        db.session.commit()
        current_rdm_records_service.indexer.index(record)
    refresh_records_index()


def test_a_model_that_failed_validation_is_422_with_the_reason(client, failed_model):
    response = client.get(f"/api/models/{failed_model['id']}/file", query_string={"format": "hs3"})
    assert response.status_code == 422 and response.mimetype == "application/json"
    assert "validation passed" in response.json["message"] and "failed" in response.json["message"]


def test_what_cannot_be_translated_says_why():
    patchset = {"metadata": {}, "patches": [], "version": "1.0.0"}
    with pytest.raises(NotTranslatable, match="pyhf-patchset"):
        translate(patchset, "pyhf-patchset", "hs3")
    unsupported = {
        "metadata": {"hs3_version": "0.2"},
        "distributions": [{"name": "model_sr", "type": "gaussian_dist"}],
        "data": [{"name": "obs_sr", "type": "binned", "contents": [1.0]}],
        "likelihoods": [{"name": "L", "distributions": ["model_sr"], "data": ["obs_sr"]}],
        "analyses": [{"name": "A", "likelihood": "L"}],
    }
    with pytest.raises(NotTranslatable, match="histfactory_dist"):
        translate(unsupported, "hs3", "pyhf")
    with pytest.raises(NotTranslatable, match="not JSON"):
        parsed_model(b"{not json", 1000)
    with pytest.raises(NotTranslatable, match="bytes"):
        parsed_model(json.dumps(patchset).encode(), 10)


def test_agreement_is_not_claimed_for_a_patched_validation_or_a_missing_engine():
    validation = {
        "report": {
            "checks": [
                {
                    "id": "cross_engine",
                    "status": "passed",
                    "details": {
                        "engines": {"pyhf": "pyhf 0.7"},
                        "unavailable": {"pyhs3": "too many modifiers"},
                    },
                }
            ]
        }
    }
    assert agreement(validation, translated=True)["status"] == "not_checked"
    assert "too many modifiers" in agreement(validation, translated=True)["reason"]
    assert "patch" in agreement(validation, translated=True, patch="signal_1")["reason"]
