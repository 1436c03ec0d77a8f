"""The registry's front page: figures and model lists computed here, rendered by the template override.

``templates/semantic-ui/invenio_app_rdm/frontpage.html`` replaces InvenioRDM's stock front
page (Invenio's own ``/`` view renders it); it calls the template global
``demos_frontpage()`` for the figures. The header gets a visible "Publish a model" link
for logged-in users through Invenio's ``actions`` menu, so the stock header template stays.
"""

from .views import register_frontpage

__all__ = ("register_frontpage",)
