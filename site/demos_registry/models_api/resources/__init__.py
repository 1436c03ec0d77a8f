"""REST resources of ``/api/models``: routes, request parsing, error handlers, OpenAPI and docs."""

from .config import ModelsResourceConfig
from .resource import ModelsResource

__all__ = ("ModelsResource", "ModelsResourceConfig")
