"""Where the registry mints DOIs, the deposit form asks for one by default, and keeps the answer.

With DataCite enabled (a local DataCite-protocol server) the form's DOI question starts at
"No, I need one" (the registry registers a DOI at publication) instead of "Yes, I already
have one" with an empty box, and a saved draft shows the same answer after a reload, where
InvenioRDM's default went back to "Yes".
"""

import pytest
from datacite_server import DataCiteServer
from playwright.sync_api import expect
from test_deposit_browser import open_new_upload

from demos_registry.doi import config as doi_config

pytestmark = pytest.mark.browser

PREFIX = "10.80000"
USERNAME = PASSWORD = "demos"


@pytest.fixture(scope="module")
def datacite(tmp_path_factory):
    """The module's local DataCite server."""
    server = DataCiteServer(
        PREFIX, USERNAME, PASSWORD, store_path=tmp_path_factory.mktemp("datacite") / "dois.json"
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app_config(app_config, datacite):
    """The registry's DOI settings (doi/config.py) with DataCite enabled."""
    app_config.update(
        DATACITE_ENABLED=True,
        DATACITE_URL=datacite.url,
        DATACITE_PREFIX=PREFIX,
        DATACITE_USERNAME=USERNAME,
        DATACITE_PASSWORD=PASSWORD,
        RDM_PERSISTENT_IDENTIFIER_PROVIDERS=doi_config.RDM_PERSISTENT_IDENTIFIER_PROVIDERS,
        RDM_PARENT_PERSISTENT_IDENTIFIER_PROVIDERS=doi_config.RDM_PARENT_PERSISTENT_IDENTIFIER_PROVIDERS,
        RDM_PERSISTENT_IDENTIFIERS=doi_config.RDM_PERSISTENT_IDENTIFIERS,
        RDM_PARENT_PERSISTENT_IDENTIFIERS=doi_config.RDM_PARENT_PERSISTENT_IDENTIFIERS,
    )
    return app_config


def doi_answer(page, answer):
    """The radio button of one answer to "Do you already have a DOI for this upload?"."""
    return page.get_by_role("radio", name=answer)


def test_the_doi_question_defaults_to_a_registry_doi_and_keeps_it(logged_in_page, screenshot):
    page = logged_in_page
    open_new_upload(page, screenshot)
    expect(doi_answer(page, "No, I need one")).to_be_checked()
    expect(doi_answer(page, "Yes, I already have one")).not_to_be_checked()

    page.fill("#metadata\\.title", "Draft that needs a DOI")
    page.get_by_role("button", name="Save draft").click()
    # Saved (with feedback on what is missing): the form moves to the draft's address.
    page.wait_for_url(lambda url: "/uploads/" in url and not url.endswith("/uploads/new"))
    page.reload()
    expect(page.get_by_role("button", name="Add reference point")).to_be_visible()
    expect(doi_answer(page, "No, I need one")).to_be_checked()
    screenshot(page, "after-reload")
