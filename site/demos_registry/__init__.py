"""DEMOS Model Registry: an InvenioRDM instance for statistical models."""

__version__ = "0.1.0"
