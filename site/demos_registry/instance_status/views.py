"""The instance-status blueprint (entry point ``invenio_base.api_blueprints``)."""


def create_blueprint(app):
    """``/api/health``, ``/api/info`` and ``/api/version``, from the resource the extension built."""
    return app.extensions["demos-registry"].instance_status_resource.as_blueprint()
