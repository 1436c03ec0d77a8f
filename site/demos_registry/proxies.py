"""Proxies to the registry's extension and its services on the current application."""

from flask import current_app
from werkzeug.local import LocalProxy

current_demos_registry = LocalProxy(lambda: current_app.extensions["demos-registry"])
"""The registry's extension (ext.py): its services and resources."""

current_models_service = LocalProxy(lambda: current_demos_registry.models_service)
"""The models service (``/api/models``)."""
