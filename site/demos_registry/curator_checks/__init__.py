"""The DEMOS validation verdict as an invenio-checks check on community requests."""
