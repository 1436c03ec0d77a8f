"""Proxies to the validation policy service of the current application."""

from flask import current_app
from werkzeug.local import LocalProxy

current_validation_policies_service = LocalProxy(
    lambda: current_app.extensions["demos-validation-policies"].service
)
"""The ValidationPolicyService built by the extension."""
