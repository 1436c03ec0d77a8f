"""Marshmallow schemas of the health, info and version answers (and of their OpenAPI description)."""

from marshmallow import Schema, fields, validate


class ComponentHealthSchema(Schema):
    """State of one service the registry depends on."""

    status = fields.String(validate=validate.OneOf(["ok", "error"]))
    detail = fields.String(allow_none=True)
    seconds = fields.Float()


class HealthSchema(Schema):
    """State of the registry and of each service it needs."""

    status = fields.String(validate=validate.OneOf(["ok", "error"]))
    components = fields.Dict(keys=fields.String(), values=fields.Nested(ComponentHealthSchema))


class VersionSchema(Schema):
    """Versions of the registry, its API and Invenio."""

    version = fields.String()
    api_version = fields.String()
    invenio_app_rdm = fields.String()


class InfoSchema(VersionSchema):
    """What this registry is and where its APIs are."""

    name = fields.String()
    description = fields.String()
    site_url = fields.String()
    models = fields.Integer(metadata={"description": "Published models the caller may see."})
    domains = fields.Dict(keys=fields.String(), values=fields.Integer())
    links = fields.Dict(keys=fields.String(), values=fields.String())
