"""Configuration of the validation policy service: its permission policy and link templates."""

from typing import ClassVar

from invenio_records_resources.services.base.config import ConfiguratorMixin, FromConfig, ServiceConfig

from .permissions import ValidationPolicyPermissionPolicy


class ValidationPolicyServiceConfig(ServiceConfig, ConfiguratorMixin):
    """The validation policies of the domain communities."""

    service_id = "demos-validation-policies"
    permission_policy_cls = FromConfig(
        "DEMOS_VALIDATION_POLICY_PERMISSION_POLICY",
        default=ValidationPolicyPermissionPolicy,
        import_string=True,
    )

    minimum_reason = FromConfig("DEMOS_VALIDATION_POLICY_MIN_REASON", default=10)
    """Fewest characters of the reason of a new version."""

    links: ClassVar[dict] = {
        "self": "{api}/communities/{slug}/validation-policy",
        "versions": "{api}/communities/{slug}/validation-policy/versions",
        "revalidate": "{api}/communities/{slug}/validation-policy/revalidate",
        "restore": "{api}/communities/{slug}/validation-policy/versions/{version}/restore",
        "html": "{ui}/communities/{slug}/validation-policy",
    }
    """Link templates of a policy version (``{version}``: the version linked from)."""
