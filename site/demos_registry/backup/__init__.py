"""Backup and restore of a registry instance (``invenio demos backup|restore``).

A backup is one folder: a PostgreSQL dump (custom format), a copy of the local
files locations, the secrets that decide token and session validity, and a
manifest with counts and the SHA-256 of every file. The search indices are not
backed up: they are rebuilt from the database on restore.
"""
