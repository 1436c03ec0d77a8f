"""Validation worker processes start their warm sandbox before their first task.

Without this, the first validation of each worker process would run in a fresh worker and only
then start the warm sandbox (validation_engine/warm.py). Only workers that consume the
validation queue start one (a general worker never validates), and in the background: Celery
gives a new pool process 4 s to report that it is up. Imported through the
`invenio_celery.signals` entry point (site/pyproject.toml), which Invenio-Celery loads with the
app.
"""

import logging

from celery import signals

from ..validation_engine.isolation import choose_sandbox
from ..validation_engine.limits import ResourceLimits
from ..validation_engine.warm import start_in_background
from .queues import validation_queue

logger = logging.getLogger(__name__)

_sandbox_mode = None
"""The configured sandbox (``ResourceLimits.sandbox``), set in the worker's main process when it
consumes the validation queue; None in any other worker."""


@signals.celeryd_after_setup.connect
def note_validation_worker(sender, instance, **kwargs):
    """In the worker's main process: does it consume the validation queue, and in which sandbox."""
    global _sandbox_mode
    flask_app = getattr(instance.app, "flask_app", None)
    if flask_app is None:
        return
    with flask_app.app_context():
        if validation_queue() in instance.app.amqp.queues.consume_from:
            limits = ResourceLimits.from_dict(flask_app.config.get("DEMOS_VALIDATION_LIMITS"))
            _sandbox_mode = limits.sandbox


@signals.worker_process_init.connect
def start_warm_sandbox(**kwargs):
    """In each new pool process of a validation worker: start the warm sandbox in the background.

    The first task waits for it rather than starting a fresh worker beside it.
    """
    if _sandbox_mode is None:
        return
    try:
        start_in_background(choose_sandbox(_sandbox_mode))
    except OSError as exc:  # bubblewrap required but unusable: each task reports it
        logger.warning("no warm validation sandbox: %s", exc)
