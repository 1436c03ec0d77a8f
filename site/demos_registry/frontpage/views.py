"""Hooks of the front page on the registry's blueprint: the template global and the header link."""

from flask import abort, current_app, g, render_template
from flask_login import current_user
from flask_menu import current_menu
from invenio_i18n import get_locale
from invenio_i18n import lazy_gettext as _
from invenio_pages.proxies import current_pages_service
from invenio_pages.records.errors import PageNotFoundError
from markupsafe import Markup, escape

from .stats import frontpage_stats

TITLED_FIELDS = ("domain", "engine", "format")
PAGES = {"demos_about": "/about", "demos_help": "/help"}
"""Pages of app_data/pages.yaml linked from the front page and the footer: endpoint → URL."""


def localized(titles):
    """The title in the visitor's language, else English, else any."""
    if not isinstance(titles, dict):
        return titles or ""
    locale = get_locale()
    language = locale.language if locale else "en"
    return titles.get(language) or titles.get("en") or next(iter(titles.values()), "")


def demos_frontpage():
    """The front page's figures with titles in the visitor's language (None: search is down)."""
    stats = frontpage_stats()
    if stats is None:
        return None

    def model(entry):
        return {**entry, **{name: localized(entry.get(name)) for name in TITLED_FIELDS}}

    return {
        **stats,
        "domains": [{**domain, "title": localized(domain["title"])} for domain in stats["domains"]],
        "recent": [model(entry) for entry in stats["recent"]],
        "golden": [model(entry) for entry in stats["golden"]],
    }


class PublishLabel:
    """The header link's text, an icon and words translated when the header renders."""

    def __html__(self):
        return Markup('<i class="upload icon" aria-hidden="true"></i>') + escape(str(_("Publish a model")))

    def __str__(self):
        return str(self.__html__())


def register_header_link(app):
    """A "Publish a model" link in the header's menu (``actions``), shown to logged-in users.

    Apps without menus (Invenio's URL builder creates the blueprints in one) get none.
    """
    if "menu" not in app.extensions:
        return
    with app.app_context():
        current_menu.submenu("actions.demos_publish").register(
            endpoint="invenio_app_rdm_records.deposit_create",
            text=PublishLabel(),
            order=2,
            visible_when=lambda: current_user.is_authenticated,
        )


def page_view(url):
    """The view of an Invenio page (invenio-pages), in the visitor's language or English; 404 if missing.

    invenio-pages' own fallback for pages without a route fails on the second request of a
    page (it adds a URL rule without a view), and ``APP_RDM_PAGES`` answers 500 for a page
    that an existing instance has not loaded yet (``invenio rdm pages create``).
    """

    def view():
        locale = get_locale()
        for language in dict.fromkeys([locale.language if locale else "en", "en"]):
            try:
                page = current_pages_service.read_by_url(g.identity, url, language).to_dict()
            except PageNotFoundError:
                continue
            return render_template(
                [page["template_name"], current_app.config["PAGES_DEFAULT_TEMPLATE"]], page=page
            )
        abort(404)

    return view


def register_frontpage(blueprint):
    """Add the front page's template global, header link and page routes to ``blueprint``; returns it."""
    blueprint.add_app_template_global(demos_frontpage, "demos_frontpage")
    for endpoint, url in PAGES.items():
        blueprint.add_url_rule(url, endpoint, page_view(url))
    blueprint.record_once(lambda state: register_header_link(state.app))
    return blueprint
