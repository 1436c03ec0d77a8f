"""Mail without an SMTP server: every message written as an .eml file (mail_sink/), local addresses.

The sink folder is a temporary folder of this module; the app is the suite's real one
(Flask-Mail with MAIL_SUPPRESS_SEND, as on the embedded default of scripts/run).
"""

import email
import email.policy
import re
from pathlib import Path
from types import SimpleNamespace

import email_validator
import pytest
from flask_mail import Message
from invenio_accounts.models import User

from demos_registry.mail_sink import allow_special_email_domains, sink_folder, write_message


@pytest.fixture(scope="module")
def mail_folder(tmp_path_factory):
    """The module's sink folder (not created yet: the sink makes it)."""
    return tmp_path_factory.mktemp("sink") / "mail"


@pytest.fixture(scope="module")
def app_config(app_config, mail_folder):
    """Mail goes to the module's folder."""
    app_config["DEMOS_MAIL_SINK_FOLDER"] = str(mail_folder)
    return app_config


def eml_files(folder):
    """The .eml files of a folder, oldest first (names start with the sending time)."""
    return sorted(Path(folder).glob("*.eml")) if Path(folder).exists() else []


def read_eml(path):
    """A parsed .eml file."""
    return email.message_from_bytes(Path(path).read_bytes(), policy=email.policy.default)


def send(app, **fields):
    """Send a message through the app's Flask-Mail, as invenio-accounts does."""
    with app.app_context():
        app.extensions["mail"].send(Message(**fields))


def test_defaults_of_the_embedded_instance():
    from demos_registry import config

    assert config.MAIL_SUPPRESS_SEND is True
    assert config.DEMOS_MAIL_SINK_FOLDER == "mail"
    assert "local" in config.DEMOS_EMAIL_ALLOWED_SPECIAL_DOMAINS


def test_a_sent_message_is_written_as_an_eml_file(app, mail_folder):
    before = eml_files(mail_folder)
    send(
        app,
        subject="Confirm your e-mail",
        recipients=["newcomer@demos.local"],
        body="Open https://127.0.0.1:5000/confirm/abc to confirm.",
    )
    new = [path for path in eml_files(mail_folder) if path not in before]
    assert len(new) == 1
    assert new[0].name.endswith("-newcomer@demos.local.eml")
    message = read_eml(new[0])
    assert message["To"] == "newcomer@demos.local"
    assert message["Subject"] == "Confirm your e-mail"
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert "https://127.0.0.1:5000/confirm/abc" in message.get_content()
    assert not list(mail_folder.glob(".*.part")), "no partial file is left behind"


def test_messages_keep_their_order_and_never_overwrite_each_other(app, mail_folder):
    before = eml_files(mail_folder)
    for number in range(3):
        send(app, subject=f"message {number}", recipients=["same@demos.local"], body="x")
    new = [path for path in eml_files(mail_folder) if path not in before]
    assert [read_eml(path)["Subject"] for path in new] == ["message 0", "message 1", "message 2"]


def test_the_sink_is_off_when_the_folder_setting_is_empty(app, mail_folder, monkeypatch):
    monkeypatch.setitem(app.config, "DEMOS_MAIL_SINK_FOLDER", "")
    assert sink_folder(app) is None
    before = eml_files(mail_folder)
    with app.app_context(), app.extensions["mail"].record_messages() as outbox:
        app.extensions["mail"].send(Message(subject="not kept", recipients=["a@demos.local"], body="x"))
    assert [message.subject for message in outbox] == ["not kept"], "the message is still dispatched"
    assert eml_files(mail_folder) == before


def test_a_relative_folder_is_inside_the_instance_folder(app, monkeypatch):
    monkeypatch.setitem(app.config, "DEMOS_MAIL_SINK_FOLDER", "mail")
    assert sink_folder(app) == Path(app.instance_path) / "mail"


def test_write_message_returns_the_path(app, mail_folder):
    with app.app_context():
        message = Message(subject="direct", recipients=["b@demos.local"], sender="x@demos.local", body="y")
        path = write_message(message, app=app)
    assert path.parent == mail_folder
    assert read_eml(path)["Subject"] == "direct"


def test_local_addresses_are_accepted(app):
    assert "local" not in email_validator.SPECIAL_USE_DOMAIN_NAMES
    email_validator.validate_email("newcomer@demos.local", check_deliverability=False)


def test_allowed_special_domains_come_from_the_setting(monkeypatch):
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", ["local", "localhost", "test"])
    allow_special_email_domains(SimpleNamespace(config={"DEMOS_EMAIL_ALLOWED_SPECIAL_DOMAINS": []}))
    with pytest.raises(email_validator.EmailSyntaxError):
        email_validator.validate_email("newcomer@demos.local", check_deliverability=False)
    allow_special_email_domains(SimpleNamespace(config={"DEMOS_EMAIL_ALLOWED_SPECIAL_DOMAINS": ["local"]}))
    assert email_validator.SPECIAL_USE_DOMAIN_NAMES == ["localhost", "test"]
    email_validator.validate_email("newcomer@demos.local", check_deliverability=False)


def test_sign_up_with_a_local_address_writes_the_confirmation_mail(client, mail_folder):
    address = "signup-client@demos.local"
    before = eml_files(mail_folder)
    response = client.get("/signup/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sign up for a DEMOS Model Registry account!" in page
    assert "Sign up for an " not in page
    response = client.post(
        "/signup/",
        data={
            "email": address,
            "password": "a-long-test-password-1",
            "password_confirm": "a-long-test-password-1",
            "profile.username": "signupclient",
            "profile.full_name": "Sign Up",
            "profile.affiliations": "",  # as the form sends it (None fails invenio-accounts' schema)
        },
    )
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:1000]
    assert "Invalid email address" not in response.get_data(as_text=True)
    assert User.query.filter_by(email=address).one().confirmed_at is None
    new = [path for path in eml_files(mail_folder) if path not in before]
    assert len(new) == 1
    message = read_eml(new[0])
    assert message["To"] == address
    assert message["Subject"] == "Welcome to the DEMOS Model Registry!"
    body = message.get_body(preferencelist=("plain", "html")).get_content()
    assert re.search(r"/confirm/\S+", body), body
