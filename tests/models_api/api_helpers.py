"""Payloads and users shared by the API tests."""

import io
import json
from pathlib import Path

import rest_helpers

DEMO_MODELS = Path(__file__).resolve().parents[2] / "app_data" / "demo_models"


def bearer(token):
    """Authorization header of a token."""
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def demo_model_upload(demo="astroparticle-gamma-excess", **changes):
    """A demo model's entry (new model id, given changes) and its files, as a multipart form."""
    folder = DEMO_MODELS / demo
    entry = json.loads((folder / "entry.json").read_text())
    for key in ("model_id", "files", "checksum", "file_location"):
        entry.pop(key, None)
    entry.update(changes)
    files = [
        (io.BytesIO(path.read_bytes()), path.name)
        for path in sorted(folder.glob("*.json"))
        if path.name != "entry.json"
    ]
    return {"metadata": json.dumps(entry), "file": files}


def user_with_token(email, username, role=None):
    """A confirmed user (optionally with a role) and a personal access token; returns the token."""
    return rest_helpers.user_with_token(email, username, role=role)[1]
