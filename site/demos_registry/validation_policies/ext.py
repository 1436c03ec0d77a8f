"""Flask extension of the validation policies: the service and resource, built once per application."""

from . import config
from .resources import ValidationPolicyResource, ValidationPolicyResourceConfig
from .services import ValidationPolicyService, ValidationPolicyServiceConfig


class ValidationPolicies:
    """Registered on the UI, API and Celery apps (``invenio_base.apps`` and ``invenio_base.api_apps``)."""

    def __init__(self, app=None):
        """Initialise the extension."""
        if app:
            self.init_app(app)

    def init_app(self, app):
        """Defaults of the settings, then the service and its REST resource."""
        for name in dir(config):
            if name.startswith("DEMOS_VALIDATION_POLICY_"):
                app.config.setdefault(name, getattr(config, name))
        self.service = ValidationPolicyService(ValidationPolicyServiceConfig.build(app))
        self.resource = ValidationPolicyResource(ValidationPolicyResourceConfig.build(app), self.service)
        app.extensions["demos-validation-policies"] = self


def register_menu(app):
    """``invenio_base.finalize_app``: the page in each community's header menu, for its curators.

    Shown to whoever may search the community's requests (its owners, managers, curators),
    the people who review its submissions.
    """
    from flask_menu import current_menu

    current_menu.submenu("communities").submenu("validation_policy").register(
        endpoint="demos_validation_policies_ui.validation_policy",
        text="Validation policy",
        order=45,
        expected_args=["pid_value"],
        **{"icon": "check square outline", "permissions": "can_search_requests"},
    )
