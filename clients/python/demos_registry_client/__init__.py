"""Python client of the DEMOS Model Registry API."""

from .client import ApiError, ChecksumMismatch, DemosClient

__all__ = ["ApiError", "ChecksumMismatch", "DemosClient"]
__version__ = "0.1.0"
