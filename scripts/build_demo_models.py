"""Build app_data/demo_models/: the registry's demo models as registry-entry JSON.

Run once by a developer (the output is committed); ``invenio demos setup`` imports
the result. Real public likelihoods are copied from ../shared/models with their
provenance; the domains without a public likelihood available here get small
pedagogical models built with ``pyhf.simplemodels``, labelled as such in title and
description. Every reference value is computed here with pyhf (−2 ln L with
auxiliary data, nuisance parameters at their suggested initial values), so the
registry's validation checks them against an independent evaluation.

    .venv/bin/python scripts/build_demo_models.py
"""

import hashlib
import json
import shutil
import tarfile
import uuid
from pathlib import Path

import numpy as np
import pyhf

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "models"
OUTPUT = REPO / "app_data" / "demo_models"
NAMESPACE = uuid.UUID("6f1d3c0e-8d5b-4c1e-9a57-2f0c4e8b9d10")
"""Model ids are derived from the slug, so a rebuild keeps them (import is idempotent by id)."""

PYHF_CITATION = "L. Heinrich, M. Feickert, G. Stark, K. Cranmer, pyhf, doi:10.5281/zenodo.1169739"
PEDAGOGICAL = (
    "Pedagogical model: NOT a published result. A small counting experiment built "
    "with pyhf.simplemodels for the DEMOS Model Registry to demonstrate this domain "
    "until a public likelihood is available; the numbers are invented for teaching."
)


def sha256(path):
    """Hex SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def twice_nll(workspace_spec, poi_values, patch=None):
    """−2 ln L at each POI value, other parameters at their suggested init."""
    workspace = pyhf.Workspace(workspace_spec)
    model = workspace.model(patches=[patch] if patch else None)
    data = workspace.data(model)
    points = []
    for value in poi_values:
        pars = np.array(model.config.suggested_init(), dtype=float)
        pars[model.config.poi_index] = value
        points.append(
            {
                "label": f"{model.config.poi_name} = {value:g}",
                "parameters": {model.config.poi_name: value},
                "expected": float(-2.0 * model.logpdf(pars, data)[0]),
                "rtol": 1e-6,
            }
        )
    return points


def simplemodel_workspace(kind, poi="mu", **numbers):
    """A pyhf workspace spec of one of pyhf's simple models."""
    observed = numbers.pop("observed")
    builder = getattr(pyhf.simplemodels, kind)
    model = builder(**numbers)
    spec = {
        "channels": model.spec["channels"],
        "observations": [{"name": model.spec["channels"][0]["name"], "data": list(observed)}],
        "measurements": [{"name": "Measurement", "config": {"poi": poi, "parameters": []}}],
        "version": "1.0.0",
    }
    return spec


def write_entry(slug, entry, files):
    """Write one model folder: entry.json plus its files (copied or given as JSON)."""
    folder = OUTPUT / slug
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, source in files.items():
        target = folder / name
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        else:
            target.write_text(json.dumps(source, indent=1) + "\n")
        names.append(name)
    entry = {
        "model_id": str(uuid.uuid5(NAMESPACE, slug)),
        **entry,
        "file_location": names[0],
        "checksum": f"sha256:{sha256(folder / names[0])}",
        "files": [{"file": n, "sha256": sha256(folder / n)} for n in names],
    }
    (folder / "entry.json").write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n")


def base_entry(name, domain, collaboration, description, **extra):
    """Fields every demo entry has."""
    return {
        "name": name,
        "version": "1.0.0",
        "domain": domain,
        "collaboration": collaboration,
        "description": description,
        "submission_date": "2026-11-23",
        "last_updated": "2026-11-23",
        "license": "cc-by-4.0",
        **extra,
    }


def real_models():
    """The particle-physics models with real public provenance."""
    two_bin = SHARED / "pyhf" / "2-bin_1-channel.json"
    write_entry(
        "pyhf-2-bin-1-channel",
        base_entry(
            "pyhf example: two-bin, one-channel counting model",
            "particle",
            "independent",
            "The two-bin single-channel example workspace of the pyhf documentation "
            "(docs/examples/json/2-bin_1-channel.json, Apache-2.0): signal over an "
            "uncorrelated background with a shape uncertainty.",
            engine="pyhf",
            format="pyhf-json",
            creators=[
                {"family_name": "Heinrich", "given_name": "Lukas"},
                {"family_name": "Feickert", "given_name": "Matthew"},
                {"family_name": "Stark", "given_name": "Giordon"},
            ],
            reference_points=twice_nll(json.loads(two_bin.read_text()), [0.0, 1.0, 2.0]),
            external_references=[
                {
                    "scheme": "github",
                    "identifier": "https://github.com/scikit-hep/pyhf",
                    "description": "pyhf (source of the example)",
                },
                {
                    "scheme": "zenodo",
                    "identifier": "10.5281/zenodo.1169739",
                    "description": "pyhf software DOI",
                },
            ],
            metadata={
                "tags": ["pyhf-example", "counting"],
                "search_keywords": ["two bin", "shapesys"],
                "citations": [PYHF_CITATION],
            },
        ),
        {"2-bin_1-channel.json": two_bin},
    )

    bkgonly = SHARED / "pyhf" / "example_bkgonly.json"
    patchset = SHARED / "pyhf" / "example_patchset.json"
    patch = json.loads(patchset.read_text())["patches"][0]
    write_entry(
        "pyhf-example-patchset",
        base_entry(
            "pyhf example: background-only workspace with a signal patchset",
            "particle",
            "independent",
            "Background-only workspace and signal patchset from pyhf's test suite "
            "(tests/test_patchset/), the layout in which ATLAS publishes full "
            f"likelihoods. Reference points use the patch {patch['metadata']['name']!r}.",
            engine="pyhf",
            format="pyhf-json",
            creators=[{"family_name": "Feickert", "given_name": "Matthew"}],
            model_selection={"file": "example_bkgonly.json", "patch": patch["metadata"]["name"]},
            reference_points=twice_nll(
                json.loads(bkgonly.read_text()),
                [0.0, 1.0],
                patch=pyhf.PatchSet(json.loads(patchset.read_text()))[patch["metadata"]["name"]],
            ),
            external_references=[
                {
                    "scheme": "github",
                    "identifier": "https://github.com/scikit-hep/pyhf",
                    "description": "pyhf test suite",
                }
            ],
            metadata={
                "tags": ["pyhf-example", "patchset"],
                "search_keywords": ["signal patch"],
                "citations": [PYHF_CITATION],
            },
        ),
        {"example_bkgonly.json": bkgonly, "example_patchset.json": patchset},
    )

    archive = SHARED / "atlas-sbottom-ins1748602" / "pyhf-ins1748602-probability-models.tar.gz"
    with tarfile.open(archive) as members:
        workspace = json.load(members.extractfile("RegionA/BkgOnly.json"))
        patch_spec = json.load(members.extractfile("RegionA/patch.sbottom_1300_850_60.json"))
    write_entry(
        "atlas-sbottom-ins1748602",
        base_entry(
            "ATLAS sbottom multi-b full likelihood (Region A), INSPIRE 1748602",
            "particle",
            "ATLAS",
            "Full statistical model of the ATLAS search for bottom-squark pair production "
            "in final states with Higgs bosons, b-jets and missing transverse momentum "
            "(139 fb^-1, Region A): background-only workspace plus signal patches as "
            "published on HEPData, copied from scikit-hep-testdata. Reference points use "
            "the patch sbottom_1300_850_60.",
            engine="pyhf",
            format="pyhf-json",
            creators=[{"name": "ATLAS Collaboration", "type": "organizational"}],
            doi="10.1007/JHEP12(2019)060",
            model_selection={
                "file": "RegionA/BkgOnly.json",
                "patch": "RegionA/patch.sbottom_1300_850_60.json",
            },
            reference_points=twice_nll(workspace, [0.0, 1.0], patch=patch_spec),
            external_references=[
                {
                    "scheme": "hepdata",
                    "identifier": "10.17182/hepdata.89408.v3",
                    "description": "HEPData record with the likelihood",
                },
                {"scheme": "inspire", "identifier": "1748602"},
                {"scheme": "arxiv", "identifier": "1908.03122"},
                {
                    "scheme": "github",
                    "identifier": "https://github.com/scikit-hep/scikit-hep-testdata",
                    "description": "copy used here",
                },
            ],
            metadata={
                "tags": ["SUSY", "sbottom", "full-likelihood"],
                "search_keywords": ["multi-b", "bottom squark", "Higgs"],
                "citations": ["ATLAS Collaboration, JHEP 12 (2019) 060"],
            },
        ),
        {"pyhf-ins1748602-probability-models.tar.gz": archive},
    )

    for slug, filename, kind, numbers, title in (
        (
            "hs3-uncorrelated-background",
            "simplemodel_uncorrelated-background_hs3.json",
            "uncorrelated_background",
            {"signal": [12.0, 11.0], "bkg": [50.0, 52.0], "bkg_uncertainty": [3.0, 7.0]},
            "uncorrelated",
        ),
        (
            "hs3-correlated-background",
            "simplemodel_correlated-background_gauss_hs3.json",
            "correlated_background",
            {"signal": [12.0, 11.0], "bkg": [50.0, 52.0], "bkg_up": [45.0, 55.0], "bkg_down": [55.0, 45.0]},
            "correlated",
        ),
    ):
        twin = simplemodel_workspace(kind, observed=[51.0, 48.0], **numbers)
        write_entry(
            slug,
            base_entry(
                f"HS3 export of pyhf's simple model with {title} background",
                "particle",
                "independent",
                f"HS3 0.2 (ROOT 6.32 export) of pyhf.simplemodels.{kind}, observed data "
                "[51, 48], from the pyhs3 test suite (scipp-atlas/pyhs3). The same physics "
                "as the pyhf simple model, so pyhf and pyhs3 must agree on it."
                + (
                    ' The histosys constraint is written as "Gauss", the form pyhs3 0.4.2 reads (derived here).'
                    if title == "correlated"
                    else ""
                ),
                engine="pyhs3",
                format="hs3-json",
                creators=[{"family_name": "Feickert", "given_name": "Matthew"}],
                reference_points=twice_nll(twin, [0.0, 1.0, 2.0]),
                external_references=[
                    {
                        "scheme": "github",
                        "identifier": "https://github.com/scipp-atlas/pyhs3",
                        "description": "pyhs3 test suite",
                    }
                ],
                metadata={
                    "tags": ["HS3", "cross-engine"],
                    "search_keywords": ["hep statistics serialization standard"],
                    "citations": [PYHF_CITATION],
                },
            ),
            {filename: SHARED / "hs3" / filename},
        )


PEDAGOGICAL_MODELS = [
    # slug, domain, title, kind, numbers, tags, keywords, citation
    (
        "belle2-bplus-kplus-nunu-pedagogical",
        "particle",
        "B+ → K+ νν̄ BELLE II 2024 (pedagogical stand-in)",
        "uncorrelated_background",
        {
            "signal": [8.0, 14.0, 9.0],
            "bkg": [95.0, 120.0, 80.0],
            "bkg_uncertainty": [9.0, 11.0, 8.0],
            "observed": [104.0, 138.0, 86.0],
        },
        ["B-meson", "rare-decay", "neutrino"],
        ["penguin", "missing energy", "Belle II"],
        "Belle II Collaboration, Phys. Rev. D 109, 112006 (2024)",
    ),
    (
        "hadron-exotic-resonance",
        "hadron",
        "Exotic hadron resonance in a three-bin mass window (pedagogical)",
        "uncorrelated_background",
        {
            "signal": [3.0, 9.0, 4.0],
            "bkg": [40.0, 42.0, 41.0],
            "bkg_uncertainty": [4.0, 4.0, 4.0],
            "observed": [44.0, 50.0, 43.0],
        },
        ["exotic-hadron", "resonance"],
        ["tetraquark", "invariant mass"],
        "",
    ),
    (
        "hadron-charmonium-counting",
        "hadron",
        "Charmonium-like state counting at an antiproton facility (pedagogical)",
        "correlated_background",
        {
            "signal": [6.0, 5.0],
            "bkg": [30.0, 28.0],
            "bkg_up": [33.0, 31.0],
            "bkg_down": [27.0, 25.0],
            "observed": [35.0, 32.0],
        },
        ["charmonium", "antiproton"],
        ["PANDA-like", "counting"],
        "",
    ),
    (
        "hadron-dilepton-excess",
        "hadron",
        "Dilepton excess in heavy-ion collisions, four bins (pedagogical)",
        "uncorrelated_background",
        {
            "signal": [2.0, 4.0, 5.0, 2.0],
            "bkg": [60.0, 45.0, 30.0, 20.0],
            "bkg_uncertainty": [6.0, 5.0, 4.0, 3.0],
            "observed": [63.0, 50.0, 36.0, 21.0],
        },
        ["dilepton", "heavy-ion"],
        ["HADES-like", "vector meson"],
        "",
    ),
    (
        "nuclear-rare-isotope-branch",
        "nuclear",
        "Rare isotope decay branch, two-bin counting (pedagogical)",
        "uncorrelated_background",
        {"signal": [5.0, 3.0], "bkg": [12.0, 10.0], "bkg_uncertainty": [2.0, 2.0], "observed": [16.0, 12.0]},
        ["rare-isotope", "decay-branch"],
        ["beta-delayed", "counting"],
        "",
    ),
    (
        "nuclear-neutron-emission",
        "nuclear",
        "Neutron emission multiplicity after breakup (pedagogical)",
        "correlated_background",
        {
            "signal": [7.0, 4.0, 2.0],
            "bkg": [25.0, 15.0, 9.0],
            "bkg_up": [27.0, 17.0, 10.0],
            "bkg_down": [23.0, 13.0, 8.0],
            "observed": [31.0, 20.0, 10.0],
        },
        ["neutron", "breakup"],
        ["R3B-like", "multiplicity"],
        "",
    ),
    (
        "nuclear-strangeness-yield",
        "nuclear",
        "Strangeness enhancement yield in dense matter (pedagogical)",
        "uncorrelated_background",
        {"signal": [10.0, 8.0], "bkg": [70.0, 65.0], "bkg_uncertainty": [7.0, 6.0], "observed": [78.0, 75.0]},
        ["strangeness", "dense-matter"],
        ["CBM-like", "hyperon"],
        "",
    ),
    (
        "neutrino-0nubb-roi",
        "neutrino",
        "Neutrinoless double-beta decay in a region of interest (pedagogical)",
        "uncorrelated_background",
        {"signal": [2.5], "bkg": [1.5], "bkg_uncertainty": [0.5], "observed": [2.0]},
        ["0vbb", "majorana"],
        ["LEGEND-like", "germanium"],
        "",
    ),
    (
        "neutrino-endpoint-counting",
        "neutrino",
        "Tritium endpoint counting in three retarding-potential bins (pedagogical)",
        "correlated_background",
        {
            "signal": [4.0, 2.0, 1.0],
            "bkg": [50.0, 48.0, 47.0],
            "bkg_up": [52.0, 50.0, 49.0],
            "bkg_down": [48.0, 46.0, 45.0],
            "observed": [52.0, 49.0, 47.0],
        },
        ["neutrino-mass", "tritium"],
        ["KATRIN-like", "endpoint"],
        "",
    ),
    (
        "neutrino-reactor-disappearance",
        "neutrino",
        "Reactor antineutrino disappearance, four energy bins (pedagogical)",
        "uncorrelated_background",
        {
            "signal": [-6.0, -9.0, -7.0, -3.0],
            "bkg": [120.0, 150.0, 130.0, 90.0],
            "bkg_uncertainty": [5.0, 6.0, 5.0, 4.0],
            "observed": [116.0, 139.0, 124.0, 88.0],
        },
        ["oscillation", "reactor"],
        ["JUNO-like", "disappearance"],
        "",
    ),
    (
        "astroparticle-point-source",
        "astroparticle",
        "Neutrino point-source ON/OFF counting (pedagogical)",
        "uncorrelated_background",
        {"signal": [6.0, 3.0], "bkg": [20.0, 22.0], "bkg_uncertainty": [2.0, 2.0], "observed": [27.0, 24.0]},
        ["point-source", "neutrino-astronomy"],
        ["IceCube-like", "on-off"],
        "",
    ),
    (
        "astroparticle-gamma-excess",
        "astroparticle",
        "Very-high-energy gamma-ray excess, ON/OFF regions (pedagogical)",
        "correlated_background",
        {
            "signal": [15.0, 8.0],
            "bkg": [60.0, 40.0],
            "bkg_up": [63.0, 42.0],
            "bkg_down": [57.0, 38.0],
            "observed": [77.0, 49.0],
        },
        ["gamma-ray", "cherenkov"],
        ["H.E.S.S.-like", "Li-Ma"],
        "",
    ),
    (
        "astroparticle-wimp-counting",
        "astroparticle",
        "Dark-matter WIMP recoil counting with correlated background (pedagogical)",
        "correlated_background",
        {
            "signal": [1.5, 1.0],
            "bkg": [3.0, 2.0],
            "bkg_up": [3.6, 2.4],
            "bkg_down": [2.4, 1.6],
            "observed": [3.0, 2.0],
        },
        ["dark-matter", "WIMP"],
        ["XENON-like", "nuclear recoil"],
        "",
    ),
    (
        "laser-plasma-proton-cutoff",
        "laser-plasma",
        "Laser-accelerated proton spectrum excess near the cutoff (pedagogical)",
        "uncorrelated_background",
        {
            "signal": [9.0, 6.0, 3.0],
            "bkg": [80.0, 50.0, 25.0],
            "bkg_uncertainty": [8.0, 5.0, 3.0],
            "observed": [90.0, 57.0, 28.0],
        },
        ["laser-plasma", "proton-acceleration"],
        ["TNSA", "cutoff energy"],
        "",
    ),
    (
        "laser-plasma-pair-production",
        "laser-plasma",
        "Strong-field pair production counting (pedagogical)",
        "uncorrelated_background",
        {"signal": [4.0], "bkg": [6.0], "bkg_uncertainty": [1.5], "observed": [9.0]},
        ["strong-field-QED", "pair-production"],
        ["ELI-like", "Breit-Wheeler"],
        "",
    ),
    (
        "laser-plasma-xray-line",
        "laser-plasma",
        "X-ray emission line from a laser-heated plasma (pedagogical)",
        "correlated_background",
        {
            "signal": [12.0, 20.0, 10.0],
            "bkg": [100.0, 105.0, 98.0],
            "bkg_up": [104.0, 109.0, 102.0],
            "bkg_down": [96.0, 101.0, 94.0],
            "observed": [110.0, 127.0, 107.0],
        },
        ["x-ray", "plasma-spectroscopy"],
        ["XFEL-like", "emission line"],
        "",
    ),
]


def pedagogical_models():
    """Clearly labelled teaching models for the domains without public likelihoods here."""
    for slug, domain, title, kind, numbers, tags, keywords, citation in PEDAGOGICAL_MODELS:
        workspace = simplemodel_workspace(kind, **dict(numbers))
        extra = {}
        description = PEDAGOGICAL
        if slug.startswith("belle2"):
            description = (
                "Pedagogical stand-in for the Belle II B+ → K+ νν̄ measurement (the registry "
                "entry of the DEMOS seed): the publication is real, the likelihood here is a "
                "three-bin teaching model, NOT the published one. " + PEDAGOGICAL
            )
            extra = {
                "doi": "10.1103/PhysRevD.109.112006",
                "external_references": [{"scheme": "arxiv", "identifier": "2311.14647"}],
            }
        write_entry(
            slug,
            base_entry(
                title,
                domain,
                "Belle II" if slug.startswith("belle2") else "demos-pedagogical",
                description,
                engine="pyhf",
                format="pyhf-json",
                creators=[{"name": "DEMOS Model Registry team", "type": "organizational"}],
                reference_points=twice_nll(workspace, [0.0, 1.0]),
                metadata={
                    "tags": [*tags, "pedagogical"],
                    "search_keywords": keywords,
                    "citations": [citation] if citation else [],
                },
                **extra,
            ),
            {"workspace.json": workspace},
        )


def main():
    """Rebuild the folder from scratch."""
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    real_models()
    pedagogical_models()
    (OUTPUT / "README.md").write_text(
        "# Demo models\n\nBuilt by `scripts/build_demo_models.py`; imported by "
        "`invenio demos setup` (`invenio demos import app_data/demo_models`).\n"
        "Each folder holds one registry-entry JSON (`entry.json`, the DEMOS seed's shape "
        "plus DEMOS extensions) and its files. Real likelihoods carry their provenance in "
        "the description and external references; the others are pedagogical and say so.\n"
    )
    print(f"{len(list(OUTPUT.glob('*/entry.json')))} demo models in {OUTPUT}")


if __name__ == "__main__":
    main()
