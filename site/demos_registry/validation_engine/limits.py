"""Resource limits for validating untrusted model files, and the sandbox they apply in."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

MIB = 1024 * 1024
SANDBOX_AUTO = "auto"
SANDBOX_BWRAP = "bwrap"
SANDBOX_RLIMITS = "rlimits"
SANDBOX_VARIABLE = "DEMOS_VALIDATION_SANDBOX"
"""auto (bubblewrap where it can run, else rlimits only), bwrap (required) or rlimits."""


@dataclass(frozen=True)
class ResourceLimits:
    """Bounds that turn a hostile or broken file into a failed check instead of an outage.

    `sandbox` chooses the confinement (see SANDBOX_VARIABLE, which gives its default). The memory limit is on the worker's address space: importing ROOT alone maps about 1 GiB, so
    the default leaves room for it plus a few large models.
    """

    cpu_seconds: int = 120
    wall_seconds: float = 180.0
    memory_bytes: int = 4096 * MIB
    max_file_bytes: int = 200 * MIB
    max_archive_members: int = 5000
    max_unpacked_bytes: int = 1024 * MIB
    max_json_depth: int = 64
    max_bins: int = 1_000_000
    sandbox: str = field(default_factory=lambda: os.environ.get(SANDBOX_VARIABLE, SANDBOX_AUTO))

    def to_dict(self) -> dict[str, Any]:
        """Plain values for the job sent to the worker and for the report."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ResourceLimits:
        """The limits of a job; unknown keys are ignored and missing ones take their defaults."""
        known = {key: value for key, value in (data or {}).items() if key in cls.__dataclass_fields__}
        return cls(**known)
