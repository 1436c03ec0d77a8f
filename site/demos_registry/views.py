"""Blueprint carrying the registry's templates and static files."""

from flask import Blueprint


def create_blueprint(app):
    """Blueprint whose template folder overrides Invenio's templates."""
    return Blueprint(
        "demos_registry",
        __name__,
        template_folder="templates",
        static_folder="static",
    )
