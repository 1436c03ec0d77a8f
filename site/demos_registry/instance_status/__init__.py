"""The registry's instance status: ``/api/health``, ``/api/info`` and ``/api/version``."""
