"""REST resource of a community's validation policy."""

from .config import ValidationPolicyResourceConfig
from .resource import ValidationPolicyResource

__all__ = ("ValidationPolicyResource", "ValidationPolicyResourceConfig")
