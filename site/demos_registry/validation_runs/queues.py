"""Validation tasks go to a queue of their own.

A patchset of 650 signal points keeps validation workers busy for many minutes; indexing,
DOI registration and mails (queue ``celery``) must not wait behind it. Validation workers
consume ``DEMOS_VALIDATION_QUEUE`` and scale on its length (docker-compose's
``validation-worker``, the Kubernetes ``ScaledObject``); ``scripts/run`` starts one of each.
"""

from celery import current_app as current_celery_app
from flask import current_app, has_app_context

DEFAULT_VALIDATION_QUEUE = "validation"

VALIDATION_TASKS = frozenset(
    {
        "demos_registry.validation_runs.tasks.validate_model",
        "demos_registry.validation_runs.patch_points.evaluate_point_chunk",
        "demos_registry.validation_runs.patch_points.merge_point_chunks",
        "demos_registry.validation_runs.figures.draw_figures",
    }
)


def validation_queue(celery_app=None):
    """The queue validation tasks are sent to: the Flask app's setting, read when a task is sent.

    Outside an app context — a chord's callback is sent by the result backend after the last
    chunk's task returned and closed its context — the setting is read from the Flask app the
    Celery app was made from. (The callback went to the default queue before, which a worker
    given another queue never consumes: a patchset's points stayed "running" for ever.)
    """
    if has_app_context():
        return current_app.config.get("DEMOS_VALIDATION_QUEUE", DEFAULT_VALIDATION_QUEUE)
    flask_app = getattr(celery_app or current_celery_app, "flask_app", None)
    if flask_app is None:
        return DEFAULT_VALIDATION_QUEUE
    return flask_app.config.get("DEMOS_VALIDATION_QUEUE", DEFAULT_VALIDATION_QUEUE)


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router (``CELERY_TASK_ROUTES``): validation tasks to the validation queue, the rest as configured."""
    if name in VALIDATION_TASKS:
        return {"queue": validation_queue(task.app if task is not None else None)}
    return None
