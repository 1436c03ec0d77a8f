"""Model validation inside the registry: Celery tasks, verdicts, gating, re-validation."""
