"""Review is the registry's default: a researcher's model is published by its community's curators.

The registry requires a community to publish (``RDM_COMMUNITY_REQUIRED_TO_PUBLISH``);
the rest of the suite switches that off to publish as the owner (conftest.py), this
module runs with the registry's own setting.
"""

import pytest
from rest_helpers import publish, submit_to_community
from test_checks import accept
from test_validation_runs import uploaded_model

from demos_registry import config as registry_config


@pytest.fixture(scope="module")
def app_config(app_config):
    """The registry's review policy, not the suite's."""
    app_config["RDM_COMMUNITY_REQUIRED_TO_PUBLISH"] = registry_config.RDM_COMMUNITY_REQUIRED_TO_PUBLISH
    return app_config


def test_the_registry_reviews_every_model_by_default(app):
    """Out of the box a community is needed to publish; the setting is one variable away."""
    assert registry_config.RDM_COMMUNITY_REQUIRED_TO_PUBLISH is True
    assert app.config["RDM_COMMUNITY_REQUIRED_TO_PUBLISH"] is True


def test_a_researcher_cannot_publish_a_model_without_review(client, api_headers, shared_models):
    """A passed model of its owner still needs a community's curator: publishing directly is refused."""
    draft = uploaded_model(client, api_headers, shared_models)
    assert draft["custom_fields"]["demos:validation"]["status"] == "passed"

    response = publish(client, api_headers, draft["id"])

    assert response.status_code == 400, response.json
    assert response.json["message"] == "Cannot publish without selecting a community."
    assert client.get(f"/api/records/{draft['id']}", headers=api_headers).status_code == 404


def test_the_curator_publishes_what_the_researcher_submitted(
    client, api_headers, curator_headers, shared_models
):
    """Submitted to the domain's community and accepted by its curator, the model is public."""
    draft = uploaded_model(client, api_headers, shared_models)
    request = submit_to_community(client, api_headers, draft["id"])

    response = accept(client, curator_headers, request["id"])

    assert response.status_code == 200, response.json
    record = client.get(f"/api/records/{draft['id']}", headers=api_headers)
    assert record.status_code == 200, record.json
    assert record.json["parent"]["communities"]["default"]
