"""pyhs3, imported without taking over the process's logging.

``import pyhs3`` runs ``logging.config.dictConfig`` (pyhs3 0.4.2, ``pyhs3/logging.py``): the root
logger gets pyhs3's handlers and level WARNING, and every logger that exists is disabled. In a
web process or Celery worker that had read one HS3 model, the registry's own warnings (the
application's ``invenio`` logger: a DOI that DataCite rejected, a validation that could not run)
were gone. Every import of pyhs3 in the registry goes through ``import_pyhs3``.
"""

import importlib
import logging
from types import ModuleType


def import_pyhs3() -> ModuleType:
    """The pyhs3 module, the logging configuration put back as it was before its first import."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    existing = [
        item for item in logging.Logger.manager.loggerDict.values() if isinstance(item, logging.Logger)
    ]
    disabled = {logger: logger.disabled for logger in existing}
    module = importlib.import_module("pyhs3")
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger, was_disabled in disabled.items():
        logger.disabled = was_disabled
    return module
