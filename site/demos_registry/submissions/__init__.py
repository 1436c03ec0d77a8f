"""Submissions: the one write path of a new model (or new version), from the API, the CLI and imports."""
