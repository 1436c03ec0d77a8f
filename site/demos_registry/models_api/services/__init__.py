"""The models service: DEMOS-shaped operations over InvenioRDM's records service."""

from .config import ModelsServiceConfig
from .service import ModelsService

__all__ = ("ModelsService", "ModelsServiceConfig")
