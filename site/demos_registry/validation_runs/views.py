"""REST endpoints of the verdict: read it, ask for a re-validation, override it.

    GET  /api/records/<id>/validation            the state and decision trail
    POST /api/records/<id>/validation            queue a re-validation (202)
    POST /api/records/<id>/validation/override   {"reason": "..."} (curators)

Errors are JSON with status, message and, for bad input, the field.
"""

from flask import Blueprint, g, jsonify, request
from flask_principal import PermissionDenied
from invenio_access.permissions import authenticated_user
from invenio_pidstore.errors import PIDDoesNotExistError
from sqlalchemy.exc import NoResultFound

from .service import ValidationActionError, override, read_state, revalidate


def error(status, message, field=None):
    """A JSON error response."""
    body = {"status": status, "message": message}
    if field:
        body["errors"] = [{"field": field, "messages": [message]}]
    return jsonify(body), status


def create_api_blueprint(app):
    """The blueprint, mounted under /api by Invenio's API app."""
    blueprint = Blueprint("demos_validation", __name__, url_prefix="/records/<pid_value>/validation")

    @blueprint.errorhandler(PIDDoesNotExistError)
    @blueprint.errorhandler(NoResultFound)
    def not_found(exc):
        return error(404, "The record does not exist.")

    # PermissionDenied: the base of PermissionDeniedError and of RecordPermissionDeniedError, which
    # is not a PermissionDeniedError (a restricted record's read raised past this handler: 500).
    @blueprint.errorhandler(PermissionDenied)
    def forbidden(exc):
        if authenticated_user not in g.identity.provides:
            return error(401, "Log in or send a personal access token.")
        return error(403, "You may not do this on this record.")

    @blueprint.errorhandler(ValidationActionError)
    def bad_request(exc):
        field, _, message = str(exc).partition(": ")
        return error(400, message, field)

    @blueprint.get("")
    def read(pid_value):
        return jsonify(read_state(g.identity, pid_value))

    @blueprint.post("")
    def queue(pid_value):
        state = revalidate(g.identity, pid_value)
        return jsonify(state), 202, {"Location": request.base_url}

    @blueprint.post("/override")
    def override_verdict(pid_value):
        body = request.get_json(silent=True) or {}
        return jsonify(override(g.identity, pid_value, body.get("reason"))), 200

    return blueprint
