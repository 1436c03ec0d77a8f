"""Resource limits for validating untrusted model files."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class ResourceLimits:
    """Bounds that turn a hostile or broken file into a failed check instead of an outage.

    The memory limit is on the worker's address space: importing ROOT alone maps about 1 GiB, so
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ResourceLimits:
        known = {key: value for key, value in (data or {}).items() if key in cls.__dataclass_fields__}
        return cls(**known)
