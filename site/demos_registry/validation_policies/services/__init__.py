"""The validation policy service: read, list versions, update, restore, re-validate."""

from .config import ValidationPolicyServiceConfig
from .service import ValidationPolicyService

__all__ = ("ValidationPolicyService", "ValidationPolicyServiceConfig")
