"""Payloads and users shared by the API tests."""

import io
import json
from pathlib import Path

import sqlalchemy as sa
from flask_security.utils import hash_password
from invenio_accounts.proxies import current_datastore
from invenio_db import db as invenio_db
from invenio_oauth2server.models import Token

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
    files = [(io.BytesIO(path.read_bytes()), path.name) for path in sorted(folder.glob("*.json")) if path.name != "entry.json"]
    return {"metadata": json.dumps(entry), "file": files}


def user_with_token(email, username, role=None):
    """A confirmed user (optionally with a role) and a personal access token."""
    user = current_datastore.get_user(email)
    if user is None:
        user = current_datastore.create_user(
            email=email,
            password=hash_password("physics-is-fun"),
            active=True,
            username=username,
            user_profile={"full_name": username.title()},
        )
        user.confirmed_at = sa.func.now()
    if role:
        current_datastore.add_role_to_user(user, role)
    invenio_db.session.commit()
    token = Token.create_personal(f"{username}-api-tests", user.id, scopes=[], is_internal=False)
    invenio_db.session.commit()
    return token.access_token
