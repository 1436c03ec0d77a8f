"""Blueprints of the validation policies: the REST API and the curators' page.

    /api/communities/<id or slug>/validation-policy[...]   (entry point invenio_base.api_blueprints)
    /communities/<slug>/validation-policy                   (entry point invenio_base.blueprints)

The page lists the versions (who, when, why) and, for the community's curators, a form
for a new version, a Restore button per version and "Re-validate the community's
models"; its script (static/js/demos_registry/validation-policy.js) calls the REST API.
"""

from flask import Blueprint, abort, g, render_template
from invenio_communities.proxies import current_communities
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_records_resources.services.errors import PermissionDeniedError

from ..validation_engine.steps import CHECK_ORDER
from .proxies import current_validation_policies_service


def service():
    """The policy service of this application."""
    return current_validation_policies_service


def create_api_blueprint(app):
    """``/api/communities/<id or slug>/validation-policy`` from the resource the extension built."""
    return app.extensions["demos-validation-policies"].resource.as_blueprint()


def can(action, community_id):
    """True if the caller may do ``action`` on the community's policy."""
    try:
        service().require_permission(g.identity, action, community_id=str(community_id))
    except PermissionDeniedError:
        return False
    return True


def validation_policy(pid_value):
    """The community's policy, its versions, and the curators' controls."""
    try:
        community = current_communities.service.read(g.identity, pid_value)
        versions = service().list_versions(g.identity, pid_value)
    except PIDDoesNotExistError:
        abort(404)
    except PermissionDeniedError:
        abort(403)
    return render_template(
        "demos_registry/communities/validation_policy.html",
        community=community.to_dict(),
        policy=versions["hits"][0],
        versions=versions["hits"],
        links=versions["links"],
        can_change=can("update", community.id),
        check_ids=CHECK_ORDER,
    )


def create_ui_blueprint(app):
    """The page (its script is the instance's static/js/demos_registry/validation-policy.js)."""
    blueprint = Blueprint("demos_validation_policies_ui", __name__)
    blueprint.add_url_rule("/communities/<pid_value>/validation-policy", view_func=validation_policy)
    return blueprint
