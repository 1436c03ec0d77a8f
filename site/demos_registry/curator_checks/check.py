"""The ``demos_validation`` check type: the stored DEMOS verdict, as invenio-checks shows it.

The validation engine runs in a Celery task and keeps its verdict in
``custom_fields["demos:validation"]``; this check does not validate again, it
turns that verdict into an invenio-checks result, so that the community request
page lists every check of the report with its reason, the model's parameters,
the reference points and the plots. Failed checks become result errors with the
configured severity (``info`` by default: a failed model may still be submitted,
so that a curator can look at it and override; publication is refused by the
registry's own gate, see custom_fields/components.py).
"""

from invenio_checks.base import Check
from invenio_i18n import lazy_gettext as _

from ..quality.score import quality
from ..validation_runs.state import FAILED, PUBLISHABLE, VALIDATION, current

DEMOS_CHECK_ID = "demos_validation"
ERROR_FIELD = f"custom_fields.{VALIDATION}"


def model_parameters(report):
    """The parameters of every model the engine read (name, init, bounds, fixed, POI)."""
    return [
        {"model": facts.get("model"), **parameter}
        for facts in report.get("facts") or []
        if isinstance(facts, dict)
        for parameter in facts.get("parameters") or []
    ]


def reference_points(report):
    """Expected against measured −2 ln L of the reference points, as the engine compared them."""
    for check in report.get("checks") or []:
        if check.get("id") == "reference_points":
            return (check.get("details") or {}).get("points") or []
    return []


def plots(report):
    """The figures the report names: media-file keys of the PNG (and SVG, thumbnail) with a caption."""
    listed = []
    for plot in report.get("plots") or []:
        if isinstance(plot, dict) and plot.get("key"):
            variants = {variant: plot[variant] for variant in ("svg", "thumbnail") if plot.get(variant)}
            listed.append(
                {
                    "key": plot["key"],
                    "caption": plot.get("caption") or plot["key"],
                    **variants,
                }
            )
    return listed


def verdict_result(state, severity="info"):
    """The invenio-checks result of a ``demos:validation`` state."""
    status = state.get("status")
    report = state.get("report") or {}
    checks = [
        {
            "id": check.get("id"),
            "status": check.get("status"),
            "reason": check.get("reason") or "",
        }
        for check in report.get("checks") or []
    ]
    errors = []
    if status == FAILED:
        failed = [c for c in checks if c["status"] == "failed"]
        last_reason = (state.get("history") or [{}])[-1].get("reason") or ""
        messages = [f"{c['id']}: {c['reason'] or 'failed'}" for c in failed] or [last_reason]
        errors.append(
            {
                "field": ERROR_FIELD,
                "messages": messages,
                "description": str(_("The model failed validation; a curator may override with a reason.")),
                "severity": severity,
            }
        )
    return {
        "check_id": DEMOS_CHECK_ID,
        "status": status or "not_validated",
        "success": status in PUBLISHABLE,
        "checks": checks,
        "error": report.get("error"),
        "parameters": model_parameters(report),
        "reference_points": reference_points(report),
        "plots": plots(report),
        "engines": state.get("engines") or report.get("engines") or {},
        "updated": state.get("updated"),
        "decision": (state.get("history") or [None])[-1],
        "errors": errors,
    }


class VerdictResult(dict):
    """A result dict with the ``to_dict`` invenio-checks stores."""

    def to_dict(self):
        """The stored form of the result."""
        return dict(self)


class DemosValidationCheck(Check):
    """The DEMOS model validation of a draft or record, as stored by the validation task."""

    id = DEMOS_CHECK_ID
    title = _("DEMOS model validation")
    description = _(
        "Integrity, schema, reference points, stability and cross-engine checks of the model files."
    )
    sort_order = 0
    """First tab of the request's checks."""

    def validate_config(self, config):
        """No parameters: the verdict comes from the validation engine."""
        return True

    def run(self, record, config):
        """The result of the verdict stored on the record, with the model's quality score for the curator."""
        return VerdictResult(
            {**verdict_result(current(record), config.severity.error_value), "quality": quality(record)}
        )
