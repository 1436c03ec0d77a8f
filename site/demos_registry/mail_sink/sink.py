"""Every message Flask-Mail dispatches, written as an ``.eml`` file into a folder."""

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask_mail import email_dispatched

_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")


def sink_folder(app):
    """The folder the app's mail is written to, or None when the sink is off.

    ``DEMOS_MAIL_SINK_FOLDER`` empty (or None) turns the sink off; a relative folder is
    taken from the instance folder (``mail`` is ``var/instance/mail`` under scripts/run).
    """
    folder = app.config.get("DEMOS_MAIL_SINK_FOLDER")
    if not folder:
        return None
    return Path(app.instance_path, os.path.expanduser(str(folder)))


def _file_name(message):
    """A name that sorts by sending time and names the first recipient."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    recipient = _UNSAFE.sub("_", sorted(message.send_to)[0] if message.send_to else "nobody")
    return f"{stamp}-{recipient[:80]}.eml"


def write_message(message, app, **kwargs):
    """``email_dispatched`` receiver: write ``message`` into the app's sink folder, if any.

    The file appears whole (written beside it, then renamed), so that a reader polling
    the folder never sees half a message. Returns the path written, or None.
    """
    folder = sink_folder(app)
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _file_name(message)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(message.as_bytes())
        counter = 1
        while path.exists():
            path = path.with_name(f"{path.stem.rsplit('~', 1)[0]}~{counter}.eml")
            counter += 1
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    app.logger.info("mail to %s written to %s", ", ".join(sorted(message.send_to)), path)
    return path


def init_mail_sink(app):
    """Listen to Flask-Mail's dispatched messages (the receiver checks each app's setting).

    ``email_dispatched`` is one signal for all apps of the process; connecting the
    same receiver again is a no-op, so every app may call this.
    """
    app.config.setdefault("DEMOS_MAIL_SINK_FOLDER", "")
    email_dispatched.connect(write_message)
