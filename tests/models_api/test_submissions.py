"""Submissions shaped the way physicists and other systems send them (issue 14).

Several files per model (workspace + patch, workspace + patchset, HS3 files, an
archive with a loose file, a reference-points file), the DEMOS seed's registry
entry verbatim, declared checksums verified, models addressed by their model id,
filters matching values as shown. Through the API, in-process (eager Celery).
"""

import copy
import hashlib
import io
import json
import tarfile
import uuid

import pytest
from api_helpers import DEMO_MODELS
from invenio_access.permissions import system_identity
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_vocabularies.proxies import current_service as vocabulary_service
from rest_helpers import identity_of, refresh_records_index, upload_file

ATLAS_ARCHIVE = "atlas-sbottom-ins1748602/pyhf-ins1748602-probability-models.tar.gz"
ATLAS_PATCH = "RegionA/patch.sbottom_1000_131_1.json"

SEED_ENTRY = {
    "model_id": "uuid-string",
    "name": "B+ → K+ νν̄ BELLE II 2024",
    "doi": "10.1103/PhysRevD.109.112006",
    "version": "1.0.0",
    "domain": "particle_physics",
    "collaboration": "Belle II",
    "file_location": "s3://demos/models/belle2_bknn.json",
    "checksum": "sha256:abc123...",
    "reference_points": "tests/belle2_bknn_refs.json",
    "metadata": {
        "tags": ["B-meson", "rare-decay", "neutrino"],
        "search_keywords": ["..."],
        "citations": ["..."],
    },
    "validation_status": "approved",
    "submission_date": "2024-11-05",
    "last_updated": "2024-11-05",
}
"""Seed 000's example registry entry, character for character."""

BELLE2 = DEMO_MODELS / "belle2-bplus-kplus-nunu-pedagogical"


def belle2_refs():
    """The pedagogical Belle II workspace's reference points, as a physicist's refs file holds them."""
    return json.loads((BELLE2 / "entry.json").read_text())["reference_points"]


def atlas_member(shared_models, name):
    """One file of the ATLAS sbottom archive."""
    with tarfile.open(shared_models / ATLAS_ARCHIVE) as archive:
        return archive.extractfile(name).read()


def post_model(client, headers, entry, files, publish=False):
    """POST /api/models with a metadata part and one ``file`` part per (name, bytes)."""
    return client.post(
        "/api/models" + ("?publish=true" if publish else ""),
        headers=headers,
        data={
            "metadata": json.dumps(entry),
            "file": [(io.BytesIO(content), name) for name, content in files],
        },
        content_type="multipart/form-data",
    )


def seed_files():
    """The seed entry's model and its reference-points file, named as the entry names them."""
    return [
        ("belle2_bknn.json", (BELLE2 / "workspace.json").read_bytes()),
        ("belle2_bknn_refs.json", json.dumps({"reference_points": belle2_refs()}).encode()),
    ]


def fresh(entry, **changes):
    """A copy of an entry with a new name (tests create unique data) and changes."""
    entry = copy.deepcopy(entry)
    entry["name"] = f"{entry['name']} {uuid.uuid4().hex[:8]}"
    entry.update(changes)
    return entry


@pytest.fixture(scope="module")
def client_(app):
    """One test client per module (no identity carried between callers: each call sends its token)."""
    return app.test_client()


@pytest.fixture(scope="module")
def seed_model(client_, researcher_headers):
    """The seed's entry, verbatim, with its two files, published at once."""
    response = post_model(client_, researcher_headers, fresh(SEED_ENTRY), seed_files(), publish=True)
    assert response.status_code == 201, response.json
    refresh_records_index()
    return response.json


def test_the_seed_entry_is_accepted_as_printed(seed_model):
    """Every field of the seed's shape is kept, inferred, verified or explained."""
    assert seed_model["status"] == "published"
    assert seed_model["domain"] == "particle"
    assert seed_model["collaboration"] == "Belle II"
    assert seed_model["doi"] == "10.1103/PhysRevD.109.112006"
    assert seed_model["version"] == "1.0.0"
    assert uuid.UUID(seed_model["model_id"])
    assert (seed_model["engine"], seed_model["format"]) == ("pyhf", "pyhf-json")
    assert seed_model["submission"]["inferred"] == {"engine": "pyhf", "format": "pyhf-json"}
    assert seed_model["reference_points"] == belle2_refs()
    assert seed_model["source_location"] == "s3://demos/models/belle2_bknn.json"
    assert seed_model["file_location"].endswith("/files/belle2_bknn.json")
    assert seed_model["submission_date"] == "2024-11-05"
    assert seed_model["metadata"]["tags"] == ["B-meson", "rare-decay", "neutrino"]
    notes = seed_model["submission"]["notes"]
    assert "uuid-string" in notes["model_id"]
    assert "not a SHA-256 digest" in notes["checksum"]
    assert "set by the registry" in notes["validation_status"]
    assert seed_model["validation"]["status"] == "passed"
    assert {f["file"] for f in seed_model["files"]} == {"belle2_bknn.json", "belle2_bknn_refs.json"}


def test_the_registry_entry_round_trips(client_, seed_model):
    """GET .../metadata returns what was kept, by record id and by model id."""
    for address in (seed_model["id"], seed_model["model_id"]):
        entry = client_.get(f"/api/models/{address}/metadata").json
        for field in (
            "model_id",
            "name",
            "doi",
            "version",
            "domain",
            "collaboration",
            "reference_points",
            "source_location",
            "submission_date",
            "engine",
            "format",
            "metadata",
        ):
            assert entry[field] == seed_model[field], field


def test_a_model_is_addressed_by_its_model_id(client_, seed_model, researcher_headers):
    """Every sub-route answers for the seed's model id as for the record id."""
    model_id = seed_model["model_id"]
    assert client_.get(f"/api/models/{model_id}").json["id"] == seed_model["id"]
    assert client_.get(f"/api/models/{model_id}?version=1.0.0").json["id"] == seed_model["id"]
    assert client_.get(f"/api/models/{model_id}?version=7.7.7").status_code == 404
    assert client_.get(f"/api/models/{model_id}/validation").json["status"] == "passed"
    assert client_.get(f"/api/models/{model_id}/file").status_code == 200
    assert client_.get(f"/api/models/{uuid.uuid4()}").status_code == 404


def test_get_validate_answers_the_state_and_changes_nothing(client_, seed_model):
    """The seed triggers validation with GET: it gets the state and the POST that runs one."""
    before = client_.get(f"/api/models/{seed_model['id']}/validation").json["validation"]
    response = client_.get(f"/api/models/{seed_model['model_id']}/validate")
    assert response.status_code == 200
    assert response.json["status"] == "passed"
    assert response.json["run"]["method"] == "POST"
    assert response.json["run"]["href"].endswith(f"/models/{seed_model['id']}/validate")
    assert client_.get(f"/api/models/{seed_model['id']}/validation").json["validation"] == before


def test_the_seeds_filter_example_works_as_printed(client_, seed_model):
    """GET /api/models/filter?domain=particle_physics&tag=rare-decay, and values as shown."""

    def ids(query):
        response = client_.get(f"/api/models/filter?{query}&size=100")
        assert response.status_code == 200, response.json
        return {hit["id"] for hit in response.json["hits"]}

    assert seed_model["id"] in ids("domain=particle_physics&tag=rare-decay")
    assert seed_model["id"] in ids("collaboration=Belle%20II")
    assert seed_model["id"] in ids("collaboration=belle-ii")
    assert seed_model["id"] in ids("tag=RARE-DECAY&domain=Particle")
    assert seed_model["id"] not in ids("tag=rare")
    assert seed_model["id"] not in ids("domain=neutrino_physics")


def test_a_declared_checksum_that_differs_is_refused_naming_both_digests(
    client_, researcher, researcher_headers
):
    """The declared SHA-256 is checked, never replaced; nothing is stored."""
    files = seed_files()
    actual = hashlib.sha256(files[0][1]).hexdigest()
    wrong = "0" * 64
    drafts = current_rdm_records_service.search_drafts(identity_of(researcher), params={"size": 1}).total
    entry = fresh(SEED_ENTRY, checksum=f"sha256:{wrong}")
    response = post_model(client_, researcher_headers, entry, files)
    assert response.status_code == 400, response.json
    message = " ".join(e["messages"][0] for e in response.json["errors"] if e["field"] == "checksum")
    assert "belle2_bknn.json" in message and actual in message and wrong in message
    entry = fresh(SEED_ENTRY, checksum=None, files=[{"file": "belle2_bknn_refs.json", "sha256": wrong}])
    response = post_model(client_, researcher_headers, entry, files)
    assert response.status_code == 400
    assert "belle2_bknn_refs.json" in response.json["errors"][0]["messages"][0]
    refresh_records_index()
    assert (
        current_rdm_records_service.search_drafts(identity_of(researcher), params={"size": 1}).total == drafts
    )


def test_a_matching_declared_checksum_is_verified(client_, researcher_headers):
    """A correct digest is reported as verified."""
    files = seed_files()
    digest = hashlib.sha256(files[0][1]).hexdigest()
    response = post_model(client_, researcher_headers, fresh(SEED_ENTRY, checksum=f"sha256:{digest}"), files)
    assert response.status_code == 201, response.json
    assert response.json["submission"]["verified_checksums"] == ["belle2_bknn.json"]
    assert response.json["checksum"] == f"sha256:{digest}"


def test_every_problem_is_reported_in_one_answer(client_, researcher_headers):
    """One 400 names each bad field with what is expected."""
    entry = {
        "domain": "string_theory",
        "reference_points": 42,
        "submission_date": "yesterday",
        "external_references": [{"scheme": "myspace", "identifier": "x"}],
    }
    response = post_model(client_, researcher_headers, entry, seed_files())
    assert response.status_code == 400, response.json
    errors = {e["field"]: " ".join(e["messages"]) for e in response.json["errors"]}
    assert {"name", "domain", "reference_points", "submission_date", "external_references"} <= set(errors)
    assert "particle" in errors["domain"]
    assert "a list of points or the name of an uploaded JSON file" in errors["reference_points"]


def test_a_reference_points_file_that_is_missing_or_invalid_is_named(client_, researcher_headers):
    """reference_points naming a file that was not sent, or that holds no points, is a 400 naming it."""
    response = post_model(client_, researcher_headers, fresh(SEED_ENTRY), seed_files()[:1])
    assert response.status_code == 400
    assert "belle2_bknn_refs.json" in response.json["errors"][0]["messages"][0]
    files = [seed_files()[0], ("belle2_bknn_refs.json", b'{"points": 1}')]
    response = post_model(client_, researcher_headers, fresh(SEED_ENTRY), files)
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "reference_points"


def multi_file_shapes(shared_models):
    """(name, entry changes, files) of the multi-file shapes physicists publish."""
    hs3 = shared_models / "hs3"
    return [
        (
            "workspace + patch (ATLAS RegionA)",
            {"collaboration": "ATLAS"},
            [
                ("BkgOnly.json", atlas_member(shared_models, "RegionA/BkgOnly.json")),
                ("patch.sbottom_1000_131_1.json", atlas_member(shared_models, ATLAS_PATCH)),
            ],
        ),
        (
            "workspace + patchset",
            {},
            [
                ("example_bkgonly.json", (shared_models / "pyhf/example_bkgonly.json").read_bytes()),
                ("example_patchset.json", (shared_models / "pyhf/example_patchset.json").read_bytes()),
            ],
        ),
        (
            "several HS3 files",
            {},
            [
                (path.name, path.read_bytes())
                for path in sorted(hs3.glob("simplemodel_*uncorrelated*.json"))
                + sorted(hs3.glob("*gauss*.json"))
            ],
        ),
        (
            "archive + loose file",
            {"collaboration": "ATLAS"},
            [
                ("pyhf-ins1748602-probability-models.tar.gz", (shared_models / ATLAS_ARCHIVE).read_bytes()),
                ("README-analysis.json", json.dumps({"analysis": "sbottom multi-b"}).encode()),
            ],
        ),
    ]


@pytest.mark.parametrize(
    "shape", range(4), ids=["workspace+patch", "workspace+patchset", "hs3-files", "archive+loose"]
)
def test_models_made_of_several_files_are_accepted(client_, researcher_headers, shared_models, shape):
    """POST /api/models with several file parts: 201, all files kept, validated once."""
    label, changes, files = multi_file_shapes(shared_models)[shape]
    entry = {"name": f"{label} {uuid.uuid4().hex[:8]}", "domain": "particle", **changes}
    response = post_model(client_, researcher_headers, entry, files)
    assert response.status_code == 201, response.json
    body = response.json
    assert {f["file"] for f in body["files"]} == {name for name, _ in files}
    assert all(
        f["sha256"] == hashlib.sha256(content).hexdigest()
        for f, (_, content) in zip(sorted(body["files"], key=lambda f: f["file"]), sorted(files), strict=True)
    )
    assert body["engine"] and body["format"]
    state = client_.get(f"/api/models/{body['id']}/validation", headers=researcher_headers).json["validation"]
    assert state["status"] in ("passed", "needs_review"), (
        state.get("report", {}).get("error") or state["history"]
    )
    starts = [entry for entry in state["history"] if entry["status"] == "running"]
    assert len(starts) == 1, state["history"]


def test_files_added_one_by_one_through_the_records_api(client_, api_headers, shared_models):
    """/api/records: a workspace, then its patch, each committed on its own; both kept and validated."""
    data = {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": {
            "resource_type": {"id": "model"},
            "title": f"Uploaded one by one {uuid.uuid4().hex[:8]}",
            "publication_date": "2024-01-01",
            "creators": [{"person_or_org": {"type": "organizational", "name": "ATLAS"}}],
        },
        "custom_fields": {
            "demos:domain": {"id": "particle"},
            "demos:engine": {"id": "pyhf"},
            "demos:format": {"id": "pyhf-json"},
        },
    }
    draft = client_.post("/api/records", headers=api_headers, data=json.dumps(data)).json
    upload_file(
        client_, api_headers, draft["id"], "BkgOnly.json", atlas_member(shared_models, "RegionA/BkgOnly.json")
    )
    upload_file(client_, api_headers, draft["id"], "patch.json", atlas_member(shared_models, ATLAS_PATCH))
    record = client_.get(f"/api/records/{draft['id']}/draft", headers=api_headers).json
    assert {c["key"] for c in record["custom_fields"]["demos:checksums"]} == {"BkgOnly.json", "patch.json"}
    assert record["custom_fields"]["demos:validation"]["status"] in ("passed", "needs_review")


def test_a_submission_that_fails_leaves_nothing_and_queues_nothing(
    client_, researcher, researcher_headers, app
):
    """A failure after the files were stored (no community for the domain) rolls everything back.

    The domain is new: it is found although the domains were just read into Invenio's
    application cache (as set-up's community creation does), which ``read_all`` answers from.
    """
    vocabulary_service.read_all(system_identity, fields=["id", "title", "props"], type="demosdomains")
    orphan = f"orphan-{uuid.uuid4().hex[:6]}"
    vocabulary_service.create(
        system_identity, {"id": orphan, "title": {"en": orphan}, "type": "demosdomains"}
    )
    refresh_records_index()
    before = current_rdm_records_service.search_drafts(identity_of(researcher), params={"size": 1}).total
    entry = fresh(SEED_ENTRY, domain=orphan)
    try:
        response = post_model(client_, researcher_headers, entry, seed_files())
    finally:  # later modules set up a community per domain of the vocabulary
        vocabulary_service.delete(system_identity, ("demosdomains", orphan))
        refresh_records_index()
    assert response.status_code == 400, response.json
    assert response.json["errors"][0]["field"] == "domain"
    assert "no community" in response.json["errors"][0]["messages"][0]
    refresh_records_index()
    assert (
        current_rdm_records_service.search_drafts(identity_of(researcher), params={"size": 1}).total == before
    )


def test_a_known_model_id_makes_a_new_version_that_is_validated(client_, researcher_headers, seed_model):
    """POST with the model id of a published model: its next version, validated on its own."""
    entry = fresh(SEED_ENTRY, model_id=seed_model["model_id"], version="1.1.0")
    response = post_model(client_, researcher_headers, entry, seed_files(), publish=True)
    assert response.status_code == 201, response.json
    v2 = response.json
    assert v2["id"] != seed_model["id"] and v2["model_id"] == seed_model["model_id"]
    history = client_.get(f"/api/models/{v2['id']}/validation").json["validation"]["history"]
    assert [h["status"] for h in history][-2:] == ["running", "passed"], history
    refresh_records_index()
    assert client_.get(f"/api/models/{seed_model['model_id']}").json["id"] == v2["id"]
    assert client_.get(f"/api/models/{seed_model['model_id']}?version=1.0.0").json["id"] == seed_model["id"]


def test_a_new_version_with_imported_files_is_validated_or_says_it_reused(client_, api_headers, seed_model):
    """Invenio's new version + file import: identical inputs reuse the verdict, and the trail says so."""
    refresh_records_index()
    latest = client_.get(f"/api/models/{seed_model['model_id']}").json["id"]
    draft = client_.post(f"/api/records/{latest}/versions", headers=api_headers).json
    assert "demos:validation" not in draft.get("custom_fields", {})
    assert draft["custom_fields"].get("demos:checksums", []) == []
    response = client_.post(f"/api/records/{draft['id']}/draft/actions/files-import", headers=api_headers)
    assert response.status_code == 201, response.json
    state = client_.get(f"/api/records/{draft['id']}/draft", headers=api_headers).json["custom_fields"]
    assert {c["key"] for c in state["demos:checksums"]} == {"belle2_bknn.json", "belle2_bknn_refs.json"}
    last = state["demos:validation"]["history"][-1]
    assert "reused" in last["reason"] and last["actor"]["type"] == "system", state["demos:validation"][
        "history"
    ]
    assert state["demos:validation"]["reused_from"] == latest
    client_.delete(f"/api/records/{draft['id']}/draft", headers=api_headers)


def test_malformed_creators_and_metadata_are_named_not_a_500(client_, researcher_headers):
    """Shapes other clients send (a creator without a name, metadata as text): 400 by field."""
    entry = fresh(SEED_ENTRY, creators=[{"orcid": "0000-0002-1825-0097"}], metadata="tags: neutrino")
    response = post_model(client_, researcher_headers, entry, seed_files())
    assert response.status_code == 400, response.json
    assert {"creators", "metadata"} <= {e["field"] for e in response.json["errors"]}


def test_tag_counts_agree_with_the_tag_filter(client_, seed_model):
    """Autocomplete counts (a terms aggregation) equal the models the tag filter finds."""
    refresh_records_index()
    tags = {item["tag"]: item["count"] for item in client_.get("/api/models/tags?prefix=RARE-").json["tags"]}
    found = client_.get("/api/models/filter?tag=rare-decay&size=1").json["total"]
    assert tags["rare-decay"] == found >= 1
    assert all(tag.lower().startswith("rare-") for tag in tags)
