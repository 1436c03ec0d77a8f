"""Errors of the models service (the resources' error handlers turn them into HTTP answers)."""

from invenio_pidstore.errors import PIDDoesNotExistError
from marshmallow import ValidationError


class ModelNotFound(PIDDoesNotExistError):
    """A record that is not a DEMOS model is not found under /api/models (404, as Invenio's)."""

    def __init__(self, id_):
        """Not found as a model."""
        super().__init__("recid", id_)


class NothingToVisualize(LookupError):
    """The model has no validation report with plots or parameters yet."""


def field_error(field, message):
    """A marshmallow error naming one field, answered as 400 with that field."""
    return ValidationError({field: [message]})
