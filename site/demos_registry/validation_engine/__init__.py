"""Validation engine for statistical models: integrity, schema, reference values, engines, plots.

A plain library (no Flask, no database): files and DEMOS metadata in, a JSON-serialisable report
out. Untrusted files are only ever parsed and evaluated in a separate, resource-limited process.
"""

from .api import ValidationOptions, draw_figures_for_task, validate, validate_for_task
from .limits import ResourceLimits
from .report import CheckResult, CheckStatus, OverallStatus, ValidationReport

__all__ = [
    "CheckResult",
    "CheckStatus",
    "OverallStatus",
    "ResourceLimits",
    "ValidationOptions",
    "ValidationReport",
    "draw_figures_for_task",
    "validate",
    "validate_for_task",
]
