"""Registry-entry import/export, demo data, checksums and facet counts."""

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

from invenio_access.permissions import system_identity
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_search.engine import dsl
from rest_helpers import SEED_ENTRY_KEYS, create_draft, model_metadata, refresh_records_index, upload_file

from demos_registry.cli import demos
from demos_registry.registry_entries.service import export_entry
from demos_registry.submissions.service import latest_published as published_by_model_id

DEMO_MODELS = Path(__file__).resolve().parent.parent / "app_data" / "demo_models"


def demo_entries():
    """The committed demo entries."""
    return [json.loads(path.read_text()) for path in sorted(DEMO_MODELS.glob("*/entry.json"))]


def copied_entry(tmp_path, slug, **changes):
    """A copy of a demo entry's folder with some entry values changed; returns (folder, entry)."""
    folder = tmp_path / slug
    shutil.copytree(DEMO_MODELS / slug, folder)
    entry = {**json.loads((folder / "entry.json").read_text()), **changes}
    (folder / "entry.json").write_text(json.dumps(entry))
    return folder, entry


def run_cli(app, *args):
    """Invoke ``invenio demos ...`` in the test app."""
    return app.test_cli_runner().invoke(demos, list(args), catch_exceptions=False)


def test_all_demo_models_are_published_with_three_per_domain(app):
    """The 21 demo entries are records; every domain has at least three."""
    refresh_records_index()
    domains = Counter()
    for entry in demo_entries():
        record = published_by_model_id(entry["model_id"])
        assert record is not None, entry["name"]
        assert record["metadata"]["title"] == entry["name"]
        domains[record["custom_fields"]["demos:domain"]["id"]] += 1
    assert len(demo_entries()) >= 18
    assert set(domains) == {"particle", "hadron", "nuclear", "neutrino", "astroparticle", "laser-plasma"}
    assert min(domains.values()) >= 3


def test_domain_facet_counts_match_the_demo_data(client):
    """The domain facet counts the pedagogical demo models per domain exactly."""
    refresh_records_index()
    expected = Counter(
        entry["domain"] for entry in demo_entries() if entry["collaboration"] == "demos-pedagogical"
    )
    ids = " OR ".join(e["model_id"] for e in demo_entries() if e["collaboration"] == "demos-pedagogical")
    response = client.get(
        "/api/records", query_string={"q": f"custom_fields.demos\\:model_id:({ids})", "size": 1}
    )
    buckets = response.json["aggregations"]["domain"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in buckets} == dict(expected)
    assert {b["label"] for b in buckets} >= {"Neutrino physics", "Laser and plasma physics"}


def test_other_demos_facets_are_offered(client):
    """Engine, format, collaboration and tag facets carry the demo data."""
    refresh_records_index()
    aggregations = client.get("/api/records", query_string={"size": 1}).json["aggregations"]
    keys = {name: {b["key"] for b in aggregations[name]["buckets"]} for name in aggregations}
    assert {"pyhf", "pyhs3"} <= keys["engine"]
    assert {"pyhf-json", "hs3-json"} <= keys["format"]
    assert {"atlas", "demos-pedagogical"} <= keys["collaboration"]
    assert "pedagogical" in keys["tag"]


def test_reimport_skips_everything(app):
    """Import is idempotent by model_id and version."""
    result = run_cli(app, "import", str(DEMO_MODELS))
    assert result.exit_code == 0, result.output
    assert result.output.count(": skipped ") == len(demo_entries())


def test_published_files_carry_their_sha256(app):
    """demos:checksums holds the SHA-256 of every file, as the entry declared."""
    entry = json.loads((DEMO_MODELS / "atlas-sbottom-ins1748602" / "entry.json").read_text())
    record = published_by_model_id(entry["model_id"])
    checksums = {c["key"]: c["sha256"] for c in record["custom_fields"]["demos:checksums"]}
    assert checksums == {f["file"]: f["sha256"] for f in entry["files"]}


def test_export_gives_the_seed_shape(app):
    """An exported record is a registry entry with the seed's keys and our values."""
    entry = json.loads((DEMO_MODELS / "belle2-bplus-kplus-nunu-pedagogical" / "entry.json").read_text())
    record = published_by_model_id(entry["model_id"])
    exported = export_entry(record["id"])
    for key in SEED_ENTRY_KEYS:
        assert key in exported
    assert exported["model_id"] == entry["model_id"]
    assert exported["doi"] == "10.1103/PhysRevD.109.112006"
    assert exported["domain"] == "particle"
    assert exported["collaboration"] == "Belle II"
    assert exported["checksum"] == entry["checksum"]
    assert exported["reference_points"] == entry["reference_points"]
    assert exported["metadata"]["tags"] == entry["metadata"]["tags"]
    assert exported["validation_status"] == "approved"  # the registry's verdict: passed


def test_new_version_of_a_model_keeps_its_id(app, tmp_path):
    """An entry with a known model_id and a new version becomes a new record version."""
    folder, entry = copied_entry(tmp_path, "pyhf-2-bin-1-channel", version="1.1.0")

    result = run_cli(app, "import", str(folder / "entry.json"))
    assert result.exit_code == 0, result.output
    assert "new version" in result.output
    refresh_records_index()
    versions = current_rdm_records_service.search(
        system_identity,
        extra_filter=dsl.Q("term", **{"custom_fields.demos:model_id": entry["model_id"]}),
        params={"allversions": True},
    )
    assert sorted(hit["custom_fields"]["demos:model_version"] for hit in versions.hits) == ["1.0.0", "1.1.0"]


def test_entry_with_a_wrong_checksum_is_refused_and_leaves_nothing(app, tmp_path):
    """A tampered file fails the import with the reason; no record appears."""
    folder, entry = copied_entry(
        tmp_path, "neutrino-0nubb-roi", model_id="0b8a2f4e-3c1d-4e5f-8a9b-1c2d3e4f5a6b"
    )
    (folder / "workspace.json").write_text((folder / "workspace.json").read_text().replace("2.5", "3.5"))

    result = app.test_cli_runner().invoke(demos, ["import", str(folder)])
    assert result.exit_code != 0
    declared = next(item["sha256"] for item in entry["files"] if item["file"] == "workspace.json")
    assert "SHA-256 of workspace.json is" in result.output and declared in result.output
    refresh_records_index()
    assert published_by_model_id(entry["model_id"]) is None


def test_entry_with_an_unknown_collaboration_names_it(app, tmp_path):
    """An unknown vocabulary value is reported with the field and what to do."""
    folder, _ = copied_entry(tmp_path, "hadron-exotic-resonance", collaboration="Ghostbusters")
    result = app.test_cli_runner().invoke(demos, ["import", str(folder)])
    assert result.exit_code != 0
    assert "collaboration: 'Ghostbusters' is not in the demoscollaborations vocabulary" in result.output


def test_sha256_is_computed_for_uploaded_files(client, api_headers, shared_models):
    """The draft shows the SHA-256 of a file as soon as its upload is committed."""
    content = (shared_models / "pyhf" / "2-bin_1-channel.json").read_bytes()
    draft_id = create_draft(client, api_headers, model_metadata("Checksummed")).json["id"]
    upload_file(client, api_headers, draft_id, "model.json", content)
    draft = client.get(f"/api/records/{draft_id}/draft", headers=api_headers).json
    assert draft["custom_fields"]["demos:checksums"] == [
        {"key": "model.json", "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
    ]
