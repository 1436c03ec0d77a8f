"""Configuration of the DEMOS landing page (imported by demos_registry.config).

The landing page extends Invenio's record page with the DEMOS panel
(``demos_registry/records/detail.html``) and puts the validation badge into
the side bar right after the management menu.
"""

from invenio_app_rdm.config import APP_RDM_DETAIL_SIDE_BAR_TEMPLATES as RDM_SIDE_BAR

DEMOS_RECORD_LANDING_PAGE_TEMPLATE = "demos_registry/records/detail.html"

DEMOS_SIDE_BAR_VALIDATION_TEMPLATE = "demos_registry/records/side_bar/validation.html"


def side_bar_templates(templates=RDM_SIDE_BAR):
    """Invenio's side-bar templates with the DEMOS validation box after the manage menu."""
    templates = list(templates)
    manage_menu = "invenio_app_rdm/records/details/side_bar/manage_menu.html"
    position = templates.index(manage_menu) + 1 if manage_menu in templates else 0
    return [*templates[:position], DEMOS_SIDE_BAR_VALIDATION_TEMPLATE, *templates[position:]]


DEMOS_DETAIL_SIDE_BAR_TEMPLATES = side_bar_templates()
