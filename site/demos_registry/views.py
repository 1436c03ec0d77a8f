"""Blueprint carrying the registry's templates."""

from flask import Blueprint

from .frontpage import register_frontpage


def create_blueprint(app):
    """Blueprint whose template folder holds the registry's own templates (landing page parts, checks tab)."""
    blueprint = Blueprint(
        "demos_registry",
        __name__,
        template_folder="templates",
    )
    return register_frontpage(blueprint)
