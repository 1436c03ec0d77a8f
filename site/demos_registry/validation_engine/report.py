"""The validation report: plain dataclasses that serialise to JSON and Markdown.

The report is the only thing that crosses the process boundary between the sandboxed worker and
the caller, so everything in it is built from JSON-compatible values.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

TWICE_NLL_CONVENTION = (
    "-2 ln L = -2 * pyhf Model.logpdf(pars, observed main data + auxdata): the full Poisson "
    "likelihood of the observed bins times the constraint terms evaluated at the auxiliary data, "
    "all normalisation constants included (pyhs3 uses the same convention; ROOT/RooFit NLLs "
    "differ by a constant, so only differences between points are compared with it)."
)


class CheckStatus(StrEnum):
    """Outcome of one check; a warning asks a curator to look."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


class OverallStatus(StrEnum):
    """Outcome of a whole run: any failed check fails it, warnings alone need a curator's review."""

    PASSED = "passed"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    ERROR = "error"


@dataclass
class CheckResult:
    """Outcome of one check; `details` holds measured vs expected values and per-file findings."""

    id: str
    status: CheckStatus
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    duration_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible, with the status as its plain string."""
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """A result back from a worker event or a stored report."""
        return cls(
            id=data["id"],
            status=CheckStatus(data["status"]),
            reason=data.get("reason", ""),
            details=data.get("details", {}),
            duration_seconds=data.get("duration_seconds", 0.0),
        )


@dataclass
class ValidationReport:
    """Everything known about one submission (a set of files plus its DEMOS metadata)."""

    checks: list[CheckResult] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    convention: str = TWICE_NLL_CONVENTION
    sandbox: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """About the run rather than the model (e.g. "sandbox: rlimits only"): they leave the status alone."""

    @property
    def status(self) -> OverallStatus:
        """Failed beats could-not-run: a hostile file that kills the worker is a failed check."""
        statuses = {check.status for check in self.checks}
        if CheckStatus.FAILED in statuses:
            return OverallStatus.FAILED
        if self.error is not None:
            return OverallStatus.ERROR
        if CheckStatus.WARNING in statuses:
            return OverallStatus.NEEDS_REVIEW
        return OverallStatus.PASSED

    def check(self, check_id: str) -> CheckResult | None:
        """The result of one check, or None if it did not run."""
        return next((check for check in self.checks if check.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The stored form: strict JSON values, with the overall status computed in."""
        return json_safe(
            {
                "status": self.status.value,
                "error": self.error,
                "convention": self.convention,
                "checks": [check.to_dict() for check in self.checks],
                "files": self.files,
                "facts": self.facts,
                "engines": self.engines,
                "plots": self.plots,
                "timings": self.timings,
                "limits": self.limits,
                "sandbox": self.sandbox,
                "warnings": self.warnings,
            }
        )

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON text, as written by the CLI and stored with records."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """A stored report; missing keys take their defaults."""
        return cls(
            checks=[CheckResult.from_dict(check) for check in data.get("checks", [])],
            files=data.get("files", []),
            facts=data.get("facts", []),
            engines=data.get("engines", {}),
            plots=data.get("plots", []),
            timings=data.get("timings", {}),
            limits=data.get("limits", {}),
            error=data.get("error"),
            convention=data.get("convention", TWICE_NLL_CONVENTION),
            sandbox=data.get("sandbox", {}),
            warnings=data.get("warnings", []),
        )

    def _archive_members(self) -> dict[str, dict[str, int]]:
        members: dict[str, dict[str, int]] = {}
        for entry in self.files:
            if entry.get("archive") is not None:
                kinds = members.setdefault(entry["archive"], {})
                kinds[entry.get("format", "?")] = kinds.get(entry.get("format", "?"), 0) + 1
        return members

    def _signal_point_lines(self) -> list[str]:
        """The table of evaluated signal points (the first rows; the JSON/CSV files hold all)."""
        check = self.check("patch_points")
        rows = (check.details.get("rows") if check else None) or []
        if not rows:
            return []
        lines = ["", f"## Signal points: {check.reason}", ""]
        lines += [
            "| # | workspace | patch | coordinates | −2 ln L (init) | CLs obs | CLs exp (median) | status |"
        ]
        lines += ["|---|---|---|---|---|---|---|---|"]
        for row in rows[:MARKDOWN_POINT_ROWS]:
            coordinates = ", ".join(
                f"{name}={value}" for name, value in (row.get("coordinates") or {}).items()
            )
            median = row["cls_exp"][2] if row.get("cls_exp") else None
            status = row["status"] + (f": {'; '.join(row['flags'])}" if row.get("flags") else "")
            lines.append(
                f"| {row['index']} | {row.get('workspace')} | {row.get('name')} | {coordinates} "
                f"| {_number(row.get('twice_nll_init'))} | {_number(row.get('cls_obs'))} | {_number(median)} "
                f"| {status.replace('|', '/')} |"
            )
        if len(rows) > MARKDOWN_POINT_ROWS:
            lines.append(f"\n{len(rows) - MARKDOWN_POINT_ROWS} more point(s) in patch_points.json / .csv.")
        return lines

    def to_markdown(self) -> str:
        """The report for people: CLI output and CI logs."""
        lines = [f"# Model validation: **{self.status.value}**", ""]
        if self.error:
            lines += [f"Could not run: {self.error}", ""]
        lines += [f"Warning: {warning}" for warning in self.warnings] + ([""] if self.warnings else [])
        lines += ["| check | status | reason | time (s) |", "|---|---|---|---|"]
        for check in self.checks:
            reason = check.reason.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {check.id} | {check.status.value} | {reason} | {check.duration_seconds:.2f} |")
        lines += ["", "## Files", "", "| file | format | size (bytes) | sha256 |", "|---|---|---|---|"]
        for entry in self.files:
            if entry.get("archive") is None:
                lines.append(
                    f"| {entry['path']} | {entry.get('format', '?')} | {entry.get('size', '?')} "
                    f"| `{entry.get('sha256', '')}` |"
                )
        for archive, members in self._archive_members().items():
            kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(members.items()))
            lines.append(f"\n`{archive}` holds {sum(members.values())} files: {kinds}.")
        for facts in self.facts:
            lines += ["", f"## Model `{facts['model']}`", ""]
            lines.append(
                f"{facts.get('n_channels', 0)} channels, {facts.get('n_bins', 0)} bins, "
                f"{facts.get('n_samples', 0)} samples, {facts.get('n_parameters', 0)} parameters; "
                f"parameters of interest: {', '.join(facts.get('pois', [])) or 'none'}"
            )
        lines += self._signal_point_lines()
        lines += ["", "## Engines", ""]
        lines += [f"- {name} {version}" for name, version in sorted(self.engines.items())]
        lines += ["", f"Convention: {self.convention}", ""]
        return "\n".join(lines)


MARKDOWN_POINT_ROWS = 50


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (NaN, inf) by strings so reports stay strict JSON."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return repr(value)
        return value
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if hasattr(value, "tolist"):
        return json_safe(value.tolist())
    return value
