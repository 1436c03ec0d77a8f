"""Webpack bundles of the registry (JS widgets and styles).

The registry's own JS lives in the project's assets/js/demos_registry (copied into
the webpack project by scripts/run and scripts/test); the alias lets the
overridable registry and the custom-field widgets import the same modules.
"""

from invenio_assets.webpack import WebpackThemeBundle

theme = WebpackThemeBundle(
    __name__,
    "assets",
    default="semantic-ui",
    themes={"semantic-ui": dict(entry={}, aliases={"@js/demos_registry": "js/demos_registry"})},
)
