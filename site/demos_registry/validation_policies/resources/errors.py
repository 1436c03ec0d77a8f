"""Error handlers of the policy resource: the models API's (400 naming the field, 401/403, JSON 404)."""

from flask_resources import HTTPJSONException, create_error_handler

from ...models_api.resources.errors import ERROR_HANDLERS as MODELS_API_ERROR_HANDLERS
from ..services.service import PolicyVersionNotFound

ERROR_HANDLERS = {
    **MODELS_API_ERROR_HANDLERS,
    PolicyVersionNotFound: create_error_handler(
        lambda error: HTTPJSONException(code=404, description=error.description)
    ),
}
