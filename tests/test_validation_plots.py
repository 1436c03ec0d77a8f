"""The validation's figures: media files of the draft and record, in the report, the landing page and the API."""

import threading
import time
from urllib.parse import urlsplit

import pytest
from invenio_db import db
from invenio_files_rest.models import FileInstance
from invenio_rdm_records.records.api import RDMDraft
from rest_helpers import publish, upload_file
from test_concurrent_writes import lock_waiters
from test_validation_runs import MODEL_FILE, uploaded_model

from demos_registry.validation_runs.api import load, save
from demos_registry.validation_runs.figures import add_figures, draw, store_figures
from demos_registry.validation_runs.plots import replace_figures
from demos_registry.validation_runs.state import current

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OTHER_MODEL_FILE = "example_bkgonly.json"


def figure_files(*stems):
    """The media files the engine draws for each figure: PNG, SVG and PNG thumbnail."""
    return {f"{stem}{suffix}" for stem in stems for suffix in (".png", ".svg", ".thumb.png")}


TWO_BIN_FIGURES = figure_files("scan", "yields_singlechannel")
"""The two-bin model's one channel is called `singlechannel`."""
OTHER_MODEL_FIGURES = figure_files("scan", "yields_channel1")
"""example_bkgonly.json's one channel is called `channel1`."""


def path_of(url):
    """The path (and query) of an absolute URL, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def figures_of(record):
    """The figure entries of a draft's or record's last validation report."""
    return record["custom_fields"]["demos:validation"]["report"]["plots"]


def media_entries(client, headers, record_id, draft):
    """Key → media-file entry of a draft or record, through the media-files API."""
    prefix = f"/api/records/{record_id}/draft" if draft else f"/api/records/{record_id}"
    response = client.get(f"{prefix}/media-files", headers=headers)
    assert response.status_code == 200, response.json
    return {entry["key"]: entry for entry in response.json["entries"]}


def assert_image(response, key):
    """A served media file is the PNG or SVG its key says."""
    assert response.status_code == 200, key
    if key.endswith(".png"):
        assert response.data.startswith(PNG_SIGNATURE), key
    else:
        assert b"<svg" in response.data[:2000], key


@pytest.fixture()
def validated_draft(client, api_headers, shared_models):
    """A draft of the two-bin model after its (eager) validation."""
    return uploaded_model(client, api_headers, shared_models)


def test_validation_stores_its_figures_as_media_files(client, api_headers, validated_draft):
    """Every figure drawn is a PNG (with SVG and thumbnail) media file of the draft, listed in the report."""
    figures = figures_of(validated_draft)
    assert {figure["kind"] for figure in figures} == {"prefit_yields", "likelihood_scan"}
    scan = next(figure for figure in figures if figure["kind"] == "likelihood_scan")
    assert scan == {
        "key": "scan.png",
        "kind": "likelihood_scan",
        "caption": scan["caption"],
        "svg": "scan.svg",
        "thumbnail": "scan.thumb.png",
    }
    assert scan["caption"].startswith("Profile likelihood scan of mu")
    assert {figure["key"] for figure in figures} == {"scan.png", "yields_singlechannel.png"}
    entries = media_entries(client, api_headers, validated_draft["id"], draft=True)
    assert set(entries) == TWO_BIN_FIGURES
    for key, entry in entries.items():
        assert_image(client.get(path_of(entry["links"]["content"]), headers=api_headers), key)
    report = validated_draft["custom_fields"]["demos:validation"]["report"]
    plots_check = next(check for check in report["checks"] if check["id"] == "plots")
    assert plots_check["status"] == "passed"
    assert "scan.png" in plots_check["details"]["files"]
    assert not any("/" in name for name in plots_check["details"]["files"])


def test_users_cannot_change_the_figures(client, api_headers, validated_draft):
    """The figures belong to the system-written verdict: a user's list, or media files switched off, are ignored.

    A deposit form loaded before the validation finished sends media files as disabled.
    """
    forged = validated_draft["custom_fields"]["demos:validation"]
    forged = {**forged, "report": {**forged["report"], "plots": [{"key": "forged.png", "caption": "forged"}]}}
    payload = {
        **validated_draft,
        "media_files": {"enabled": False},
        "custom_fields": {**validated_draft["custom_fields"], "demos:validation": forged},
    }
    response = client.put(f"/api/records/{validated_draft['id']}/draft", headers=api_headers, json=payload)
    assert response.status_code == 200, response.json
    assert not response.json.get("errors"), response.json["errors"]
    assert figures_of(response.json) == figures_of(validated_draft)
    assert response.json["media_files"]["enabled"] is True
    assert set(media_entries(client, api_headers, validated_draft["id"], draft=True)) == TWO_BIN_FIGURES


def test_owners_cannot_upload_replace_or_delete_figures(client, api_headers, validated_draft):
    """Draft media files are the registry's evidence: the owner's media-files calls are refused (403)."""
    media = f"/api/records/{validated_draft['id']}/draft/media-files"
    figure = "scan.png"
    assert client.post(media, headers=api_headers, json=[{"key": "forged.png"}]).status_code == 403
    assert client.delete(f"{media}/{figure}", headers=api_headers).status_code == 403
    upload_headers = {**api_headers, "Content-Type": "application/octet-stream"}
    assert client.put(f"{media}/{figure}/content", headers=upload_headers, data=b"forged").status_code == 403
    assert set(media_entries(client, api_headers, validated_draft["id"], draft=True)) == TWO_BIN_FIGURES


def test_a_new_verdict_replaces_the_figures(client, api_headers, shared_models, validated_draft):
    """Another model file: the old channel's figures go, the new ones come; no stale media file stays."""
    draft_id = validated_draft["id"]
    old_scan = media_entries(client, api_headers, draft_id, draft=True)["scan.png"]
    assert (
        client.delete(f"/api/records/{draft_id}/draft/files/{MODEL_FILE}", headers=api_headers).status_code
        == 204
    )
    upload_file(
        client,
        api_headers,
        draft_id,
        OTHER_MODEL_FILE,
        (shared_models / "pyhf" / OTHER_MODEL_FILE).read_bytes(),
    )
    draft = client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json
    assert {figure["key"] for figure in figures_of(draft)} == {"scan.png", "yields_channel1.png"}
    entries = media_entries(client, api_headers, draft_id, draft=True)
    assert set(entries) == OTHER_MODEL_FIGURES
    assert entries["scan.png"]["file_id"] != old_scan["file_id"]
    assert "SigXsecOverSM" in next(f["caption"] for f in figures_of(draft) if f["kind"] == "likelihood_scan")


def test_published_model_shows_and_serves_its_figures(client, api_headers, validated_draft):
    """Publish carries the figures over; anyone reads them, on the landing page and through /visualize."""
    record_id = validated_draft["id"]
    assert publish(client, api_headers, record_id).status_code == 202
    figures = figures_of(client.get(f"/api/records/{record_id}").json)
    entries = media_entries(client, {}, record_id, draft=False)
    assert set(entries) == TWO_BIN_FIGURES
    for key, entry in entries.items():
        assert f"/api/records/{record_id}/media-files/{key}/content" in entry["links"]["content"]
        assert_image(client.get(path_of(entry["links"]["content"])), key)

    page = client.get(f"/records/{record_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="demos-figures"' in html
    for figure in figures:
        assert f"/api/records/{record_id}/media-files/{figure['key']}/content" in html
        assert figure["caption"] in html
    assert 'id="demos-parameters-1"' in html and "uncorr_bkguncrt[0]" in html

    visualization = client.get(f"/api/models/{record_id}/visualize")
    assert visualization.status_code == 200, visualization.json
    plots = {plot["key"]: plot for plot in visualization.json["plots"]}
    assert set(plots) == {"scan.png", "yields_singlechannel.png"}
    for plot in plots.values():
        assert_image(client.get(path_of(plot["url"])), plot["key"])
        assert_image(client.get(path_of(plot["svg_url"])), plot["svg"])
    assert {parameter["name"] for parameter in visualization.json["parameters"]} >= {"mu"}


def test_revalidating_a_published_model_replaces_its_figures(client, api_headers, validated_draft):
    """A re-validation of a published record writes into its locked media bucket; the trail keeps both verdicts.

    The content is unchanged, so the new media files share the stored files drawn before.
    """
    record_id = validated_draft["id"]
    assert publish(client, api_headers, record_id).status_code == 202
    before = media_entries(client, {}, record_id, draft=False)
    response = client.post(f"/api/records/{record_id}/validation", headers=api_headers)
    assert response.status_code in (200, 202), response.json
    record = client.get(f"/api/records/{record_id}").json
    state = record["custom_fields"]["demos:validation"]
    assert [h["status"] for h in state["history"]].count("passed") == 2
    after = media_entries(client, {}, record_id, draft=False)
    assert set(after) == set(before) == TWO_BIN_FIGURES
    assert all(after[key]["version_id"] != before[key]["version_id"] for key in after)
    assert all(after[key]["file_id"] == before[key]["file_id"] for key in after)
    assert_image(client.get(path_of(after["scan.png"]["links"]["content"])), "scan.png")


def test_edit_and_new_version_of_a_model_with_figures(client, api_headers, validated_draft):
    """An edit keeps the figures through its publication; a new version starts without them."""
    record_id = validated_draft["id"]
    assert publish(client, api_headers, record_id).status_code == 202
    edit = client.post(f"/api/records/{record_id}/draft", headers=api_headers)
    assert edit.status_code == 201, edit.json
    assert set(media_entries(client, api_headers, record_id, draft=True)) == TWO_BIN_FIGURES
    payload = {**edit.json, "metadata": {**edit.json["metadata"], "title": "Validated model, edited"}}
    assert client.put(f"/api/records/{record_id}/draft", headers=api_headers, json=payload).status_code == 200
    assert publish(client, api_headers, record_id).status_code == 202
    assert set(media_entries(client, {}, record_id, draft=False)) == TWO_BIN_FIGURES

    new_version = client.post(f"/api/records/{record_id}/versions", headers=api_headers)
    assert new_version.status_code == 201, new_version.json
    assert new_version.json["media_files"]["enabled"] is False
    assert set(media_entries(client, {}, record_id, draft=False)) == TWO_BIN_FIGURES


def test_figures_belong_to_one_verdict(app, client, api_headers, validated_draft):
    """A figures task of a replaced verdict draws nothing; a task delivered twice draws once."""
    draft_id = validated_draft["id"]
    state = validated_draft["custom_fields"]["demos:validation"]
    assert [entry["status"] for entry in state["history"]][-1] == "passed"
    assert add_figures(draft_id, True, "the inputs of another verdict") is False
    assert add_figures(draft_id, True, state["inputs"]) is False

    draft = client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json
    report = draft["custom_fields"]["demos:validation"]["report"]
    assert [check["id"] for check in report["checks"]].count("plots") == 1
    assert sorted(figure["key"] for figure in report["plots"]) == ["scan.png", "yields_singlechannel.png"]
    assert set(media_entries(client, api_headers, draft_id, draft=True)) == TWO_BIN_FIGURES


def without_figures(draft_id):
    """Put the draft back to where it is between its verdict and its figures task; the verdict's inputs."""
    record = load(draft_id, True)
    state = current(record)
    report = state["report"]
    replace_figures(record, [], report["plots"])
    report["plots"] = []
    report["checks"] = [check for check in report["checks"] if check["id"] != "plots"]
    record["custom_fields"]["demos:validation"] = {**state, "report": report}
    save(record, True)
    return state["inputs"]


def test_figures_stored_while_the_draft_is_published_reach_the_record(
    app, client, api_headers, validated_draft, tmp_path
):
    """Publish has loaded the draft when its figures task commits: the record gets report and files alike.

    The figures task holds the draft row until the publish waits for it, then stores its figures
    (the order that once published a report naming figures the record's media files lacked).
    """
    draft_id = validated_draft["id"]
    fingerprint = without_figures(draft_id)
    assert (
        client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json["media_files"]["enabled"]
        is False
    )
    holding, outcome = threading.Event(), {}

    def figures_task():
        with app.app_context():
            drawing = draw(draft_id, True, fingerprint, tmp_path)
            load(draft_id, True)
            holding.set()
            deadline = time.monotonic() + 30
            while lock_waiters() < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            outcome["stored"] = store_figures(draft_id, True, fingerprint, drawing)

    task = threading.Thread(target=figures_task)
    task.start()
    assert holding.wait(60)
    assert publish(client, api_headers, draft_id).status_code == 202
    task.join(60)

    assert outcome == {"stored": True}
    record = client.get(f"/api/records/{draft_id}").json
    assert sorted(figure["key"] for figure in figures_of(record)) == ["scan.png", "yields_singlechannel.png"]
    assert set(media_entries(client, {}, draft_id, draft=False)) == TWO_BIN_FIGURES


def stored_file_ids(draft_id):
    """Media-file key → id of the stored file, of a draft."""
    media = RDMDraft.pid.resolve(draft_id, registered_only=False).media_files
    return {key: media[key].object_version.file_id for key in media}


def test_a_copy_of_a_model_shares_the_figures_of_the_first(client, api_headers, shared_models):
    """The same content is drawn once: a copy's media files share the first one's stored files.

    A stored file that is gone (unreadable) is not shared: the figures are drawn again.
    """
    first = uploaded_model(client, api_headers, shared_models)
    copy = uploaded_model(client, api_headers, shared_models)
    assert figures_of(copy) == figures_of(first)
    assert set(media_entries(client, api_headers, copy["id"], draft=True)) == TWO_BIN_FIGURES
    shared = stored_file_ids(first["id"])
    assert stored_file_ids(copy["id"]) == shared
    for key, entry in media_entries(client, api_headers, copy["id"], draft=True).items():
        assert_image(client.get(path_of(entry["links"]["content"]), headers=api_headers), key)

    FileInstance.query.filter_by(id=shared["scan.png"]).update({"readable": False})
    db.session.commit()
    redrawn = uploaded_model(client, api_headers, shared_models)
    assert set(media_entries(client, api_headers, redrawn["id"], draft=True)) == TWO_BIN_FIGURES
    assert not set(stored_file_ids(redrawn["id"]).values()) & set(shared.values())
