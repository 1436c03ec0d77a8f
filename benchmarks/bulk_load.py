"""Fill the benchmark instance with ≥ 1,000 published models, through the import CLI.

    source var/bench/env.sh && python benchmarks/bulk_load.py --count 1000

Each model is a registry entry written to var/bench/entries/ from one of six small
demo models (app_data/demo_models: pyhf and HS3 workspaces, a patchset): its file(s),
engine, format and reference points, with a domain, collaboration, topic tag,
creators and date varied per copy. They are imported with ``invenio demos import``
(run in this process), so every record is created, uploaded, validated, published,
given a DOI, indexed and added to its domain community by the registry's services.
Every copy carries the tag ``benchmark-data`` and its name says "benchmark copy".

1,000 imports take minutes instead of hours because the copies repeat six contents: the
registry computes the engine's report and figures once per content and the copies reuse
them (its own content cache, ``validation_runs/content_cache.py``), while each verdict goes
through the registry's normal path (state transition, decision trail, publication gate,
reindex). The import validates in its own process (``--workers`` would hand the validations
to the instance's workers; not used here).
benchmarks/ingest.py measures the import and benchmarks/validation.py the engine's own cost.

The import is idempotent by model id: a second run skips what is there, so an
interrupted load is resumed by running it again.
"""

import argparse
import hashlib
import json
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "app_data" / "demo_models"
TEMPLATE_NAMES = [
    "pyhf-2-bin-1-channel",
    "hs3-correlated-background",
    "pyhf-example-patchset",
    "neutrino-endpoint-counting",
    "astroparticle-gamma-excess",
    "hadron-dilepton-excess",
]
"""Small demo models of every engine and format the registry validates (two files for the patchset)."""
BENCHMARK_TAG = "benchmark-data"
DOMAINS = {
    "particle": ["atlas", "cms", "lhcb", "belle-ii", "na62"],
    "hadron": ["alice", "panda", "hades"],
    "nuclear": ["cbm", "r3b"],
    "neutrino": ["katrin", "t2k", "juno", "legend"],
    "astroparticle": ["icecube", "km3net", "hess", "cta", "auger", "xenon"],
    "laser-plasma": ["eli", "european-xfel", "helmholtz-beam-lines"],
}
TOPICS = [
    "higgs",
    "dark-matter",
    "b-physics",
    "neutrino-mass",
    "exotics",
    "top-quark",
    "supersymmetry",
    "qcd",
    "heavy-ion",
    "cosmic-rays",
    "gamma-rays",
    "rare-decays",
    "oscillations",
    "nuclear-structure",
]
PEOPLE = [
    ("Noether", "Emmy"),
    ("Meitner", "Lise"),
    ("Fermi", "Enrico"),
    ("Wu", "Chien-Shiung"),
    ("Pauli", "Wolfgang"),
    ("Goeppert Mayer", "Maria"),
    ("Yukawa", "Hideki"),
    ("Curie", "Marie"),
    ("Dirac", "Paul"),
    ("Bose", "Satyendra Nath"),
    ("Rubin", "Vera"),
    ("Sakharov", "Andrei"),
]


def templates():
    """(folder, entry) of the template models."""
    return [
        (TEMPLATES / name, json.loads((TEMPLATES / name / "entry.json").read_text()))
        for name in TEMPLATE_NAMES
    ]


def benchmark_entry(number, template, prefix):
    """Registry entry number ``number``: the template's model, varied metadata."""
    domains = list(DOMAINS)
    domain = domains[number % len(domains)]
    collaborations = DOMAINS[domain] + ["independent"]
    collaboration = collaborations[(number // len(domains)) % len(collaborations)]
    topic = TOPICS[number % len(TOPICS)]
    people = [PEOPLE[(number + k) % len(PEOPLE)] for k in range(1 + number % 3)]
    day = date(2020, 1, 1) + timedelta(days=(number * 37) % 2500)
    return {
        **template,
        "model_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demos-{prefix}/{number}")),
        "name": f"{template['name']} (benchmark copy {number:04d}, {topic})",
        "description": f"{template.get('description', '')} Benchmark copy {number} for load tests: "
        f"the model of {template['name']!r}, filed under {domain} / {collaboration}.",
        "domain": domain,
        "collaboration": collaboration,
        "version": f"1.{number % 5}.0",
        "submission_date": day.isoformat(),
        "last_updated": day.isoformat(),
        "creators": [
            {"family_name": family, "given_name": given, "type": "personal"} for family, given in people
        ],
        "metadata": {
            **template.get("metadata", {}),
            "tags": sorted({*template.get("metadata", {}).get("tags", []), topic, BENCHMARK_TAG}),
        },
    }


def write_entries(folder, count, prefix="benchmark", start=0, distinct=False):
    """Write entries ``start`` to ``start + count - 1`` (with their files) under folder; returns their folders.

    With ``distinct`` every entry's files are bytes the registry has not seen (the template's
    JSON followed by whitespace that encodes the entry's number and prefix; checksums declared
    accordingly), so its content cache cannot answer: the engine and the figures run for each.
    """
    folder = Path(folder)
    sources = templates()
    written = []
    for number in range(start, start + count):
        source_folder, template = sources[number % len(sources)]
        target = folder / f"{prefix}-{number:05d}"
        target.mkdir(parents=True, exist_ok=True)
        entry = benchmark_entry(number, template, prefix)
        digests = {}
        for item in template.get("files") or [{"file": template["file_location"]}]:
            content = (source_folder / item["file"]).read_bytes()
            if distinct:
                content += b"\n" + whitespace_nonce(f"{prefix}/{number}") + b"\n"
            (target / item["file"]).write_bytes(content)
            digests[item["file"]] = hashlib.sha256(content).hexdigest()
        if distinct:
            declare_checksums(entry, digests)
        (target / "entry.json").write_text(json.dumps(entry, indent=1))
        written.append(target / "entry.json")
    return written


def whitespace_nonce(text):
    """Whitespace (valid after any JSON document) that differs for every text."""
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(format(byte, "08b") for byte in digest).replace("0", " ").replace("1", "\t").encode()


def declare_checksums(entry, digests):
    """Set the entry's declared SHA-256 of each file (and of its main file) to ``digests[file]``."""
    entry["files"] = [{**item, "sha256": digests[item["file"]]} for item in entry.get("files", [])]
    if entry.get("checksum"):
        entry["checksum"] = f"sha256:{digests[entry['file_location']]}"


def main():
    """Write the entries, import them, report the time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--start", type=int, default=0, help="number of the first entry (to load in parallel)"
    )
    parser.add_argument("--entries", type=Path, default=ROOT / "var" / "bench" / "entries")
    args = parser.parse_args()

    from invenio_app.factory import create_app

    from demos_registry.cli import demos

    entries = write_entries(args.entries, args.count, start=args.start)
    app = create_app()
    started = time.monotonic()
    result = app.test_cli_runner().invoke(demos, ["import", *map(str, entries)], catch_exceptions=False)
    elapsed = time.monotonic() - started
    lines = result.output.splitlines()
    created = sum(": created " in line for line in lines)
    skipped = sum(": skipped " in line for line in lines)
    for line in lines:
        if line.strip() and not any(word in line for word in (": created ", ": skipped ", "Importing")):
            print(line, file=sys.stderr)
    print(
        f"entries {args.start}-{args.start + args.count - 1}: {created} created, {skipped} already there, "
        f"{elapsed:.0f} s ({elapsed / max(1, created):.2f} s per created model)"
    )
    sys.exit(result.exit_code)


if __name__ == "__main__":
    main()
