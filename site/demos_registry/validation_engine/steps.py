"""Check ids and the CI steps that group them, importable without any engine or numpy."""

from __future__ import annotations

CHECK_IDS = [
    "integrity",
    "checksums",
    "schema",
    "patches",
    "reference_points",
    "expected_outputs",
    "stability",
    "cross_engine",
    "patch_points",
]
PLOTS = "plots"
CHECK_ORDER = [*CHECK_IDS, PLOTS]

STEPS = {
    "validate_schema": ["integrity", "schema", "patches"],
    "check_checksums": ["checksums"],
    "test_references": ["reference_points", "expected_outputs", "stability", "cross_engine", "patch_points"],
    "generate_viz": [PLOTS],
}


def selected_checks(names: list[str] | None) -> list[str]:
    """Expand step names (validate_schema, ...) and check ids into check ids, in run order."""
    if not names:
        return list(CHECK_ORDER)
    wanted = set()
    for name in names:
        if name in STEPS:
            wanted.update(STEPS[name])
        elif name in CHECK_ORDER:
            wanted.add(name)
        else:
            raise ValueError(f"unknown check or step {name!r}; known: {', '.join([*STEPS, *CHECK_ORDER])}")
    return [check for check in CHECK_ORDER if check in wanted]
