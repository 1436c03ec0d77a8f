"""The ``demos`` custom fields of a DEMOS model record."""
