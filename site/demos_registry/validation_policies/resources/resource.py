"""``/api/communities/<id or slug>/validation-policy``: thin views over the policy service.

- ``GET ...``: the current version;
- ``PUT ...`` ``{"settings": {...}, "reason": "..."}``: a new version;
- ``GET .../versions``: every version, newest first; ``GET .../versions/<n>``: one;
- ``POST .../versions/<n>/restore`` ``{"reason": "..."}``: a new version copying n;
- ``POST .../revalidate``: queue validations of the community's models (202).
"""

from typing import ClassVar

from flask import g, request

from ...models_api.resources.operations import OperationsResource, json_response, operation


class ValidationPolicyResource(OperationsResource):
    """A community's validation policy and its versions (Invenio's application-wide rate limits apply)."""

    decorators: ClassVar[list] = []

    def operations(self):
        """(HTTP method, route, view) of every endpoint."""
        routes = self.config.routes
        return [
            ("GET", routes["item"], self.read),
            ("PUT", routes["item"], self.update),
            ("GET", routes["versions"], self.versions),
            ("GET", routes["version"], self.read_version),
            ("POST", routes["restore"], self.restore),
            ("POST", routes["revalidate"], self.revalidate),
        ]

    @staticmethod
    def _community():
        return request.view_args["pid_value"]

    @operation("The community's current validation policy", {200: None}, tags=("validation policies",))
    def read(self):
        """The version the community's models are judged under now."""
        return json_response(self.service.read(g.identity, self._community()))

    @operation(
        "Change the validation policy (a new version)", {200: None}, auth=True, tags=("validation policies",)
    )
    def update(self):
        """A new version; the answer links to the re-validation of the community's models."""
        return json_response(
            self.service.update(g.identity, self._community(), request.get_json(silent=True))
        )

    @operation("Every version of the validation policy", {200: None}, tags=("validation policies",))
    def versions(self):
        """Newest first, down to version 0 (the registry's default)."""
        return json_response(self.service.list_versions(g.identity, self._community()))

    @operation("One version of the validation policy", {200: None}, tags=("validation policies",))
    def read_version(self):
        """Version n."""
        return json_response(
            self.service.read_version(g.identity, self._community(), request.view_args["version"])
        )

    @operation(
        "Restore a version (a new version copying it)", {200: None}, auth=True, tags=("validation policies",)
    )
    def restore(self):
        """A new version with version n's settings."""
        version = request.view_args["version"]
        return json_response(
            self.service.restore(g.identity, self._community(), version, request.get_json(silent=True))
        )

    @operation(
        "Re-validate the community's models under the current policy",
        {202: None},
        auth=True,
        tags=("validation policies",),
    )
    def revalidate(self):
        """Queue their validations; 202 with how many were queued."""
        return json_response(self.service.revalidate(g.identity, self._community()), 202)
