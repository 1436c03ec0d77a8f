"""The DEMOS-shaped REST API ``/api/models`` over the registry's Invenio records."""
