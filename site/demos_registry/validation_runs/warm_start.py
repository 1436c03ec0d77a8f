"""Validation worker processes start their warm sandbox before their first task.

Without this, the first validation of each worker process would also pay for starting the warm
sandbox (about 2.5 s: bubblewrap and the engines' imports, see validation_engine/warm.py). Only
workers that consume the validation queue start one (a general worker never validates), and
in a thread: Celery gives a new pool process 4 s to report that it is up. Imported through the
`invenio_celery.signals` entry point (site/pyproject.toml), which Invenio-Celery loads with the app.
"""

import logging
import threading

from celery import signals

from ..validation_engine.isolation import choose_sandbox
from ..validation_engine.limits import ResourceLimits
from ..validation_engine.warm import warm_sandbox
from .queues import validation_queue

logger = logging.getLogger(__name__)

_validation_limits = None
"""The configured limits, set in the worker's main process when it consumes the validation queue."""


@signals.celeryd_after_setup.connect
def note_validation_worker(sender, instance, **kwargs):
    """In the worker's main process: does it consume the validation queue, and with which limits."""
    global _validation_limits
    flask_app = getattr(instance.app, "flask_app", None)
    if flask_app is None:
        return
    with flask_app.app_context():
        if validation_queue() in instance.app.amqp.queues.consume_from:
            _validation_limits = ResourceLimits.from_dict(flask_app.config.get("DEMOS_VALIDATION_LIMITS"))


@signals.worker_process_init.connect
def start_warm_sandbox(**kwargs):
    """In each new pool process of a validation worker: start the warm sandbox in the background."""
    if _validation_limits is None:
        return
    sandbox_mode = _validation_limits.sandbox

    def start():
        try:
            started = warm_sandbox(choose_sandbox(sandbox_mode))
        except OSError as exc:  # bubblewrap required but unusable: each task reports it
            logger.warning("no warm validation sandbox: %s", exc)
            return
        logger.info("warm validation sandbox %s", "started" if started else "not used here (no bubblewrap)")

    threading.Thread(target=start, name="warm-sandbox-start", daemon=True).start()
