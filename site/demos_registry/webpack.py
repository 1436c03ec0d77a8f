"""Webpack bundle of the registry: its JS widgets, shipped with the package.

``assets/semantic-ui/js/demos_registry`` is copied into the instance's webpack project by
``invenio webpack create``; the alias lets the overridable registry and the custom-field
widgets (the project's top-level ``assets/``, copied over by scripts/run and scripts/test)
import the same modules.
"""

from invenio_assets.webpack import WebpackThemeBundle

theme = WebpackThemeBundle(
    __name__,
    "assets",
    default="semantic-ui",
    themes={"semantic-ui": dict(entry={}, aliases={"@js/demos_registry": "js/demos_registry"})},
)
