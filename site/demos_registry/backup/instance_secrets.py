"""The settings that decide whether tokens, sessions and links stay valid after a restore.

SECRET_KEY signs sessions, CSRF tokens, secret links and OAI-PMH resumption tokens,
and encrypts the personal access tokens stored by invenio-oauth2server; the
``*_SALT`` settings salt password hashes and the confirmation, reset and login
links; ``*_SECRET_KEY`` / ``CSRF_SECRET`` sign the rest. A database restored with
other values keeps its data but logs everybody out and makes every stored token
unusable, so a backup keeps them (in a file only its owner may read).
"""

import ast
import re
import shlex
from pathlib import Path

from flask import current_app

SECRET_SETTING = re.compile(r"^(SECRET_KEY|.+_SECRET_KEY|.+_SALT|CSRF_SECRET)$")


def instance_secrets():
    """The configured values of the secret settings (str values only), by name."""
    return {
        name: value
        for name, value in sorted(current_app.config.items())
        if SECRET_SETTING.match(name) and isinstance(value, str)
    }


def write_secrets(path, secrets):
    """Write them as INVENIO_* environment lines (Python literals, as invenio-config reads them)."""
    path = Path(path)
    path.touch(mode=0o600)
    path.chmod(0o600)
    lines = [
        "# Secrets of the backed-up instance: set them in the restored instance's environment",
        "# (e.g. `set -a; . ./secrets.env; set +a` before starting it, or copy them into .env).",
        *(f"INVENIO_{name}={shlex.quote(repr(value))}" for name, value in secrets.items()),
    ]
    path.write_text("\n".join(lines) + "\n")


def read_secrets(path):
    """The secrets of a written file, by setting name."""
    secrets = {}
    for line in Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        (assignment,) = shlex.split(line)
        name, literal = assignment.split("=", 1)
        secrets[name.removeprefix("INVENIO_")] = ast.literal_eval(literal)
    return secrets


def differing_secrets(path):
    """Names of the backed-up secrets whose configured value differs now."""
    configured = instance_secrets()
    return [name for name, value in read_secrets(path).items() if configured.get(name) != value]
