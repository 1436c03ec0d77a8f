"""Webpack bundles of the registry (JS widgets and styles)."""

from invenio_assets.webpack import WebpackThemeBundle

theme = WebpackThemeBundle(
    __name__,
    "assets",
    default="semantic-ui",
    themes={"semantic-ui": dict(entry={})},
)
