"""Mail on an instance without an SMTP server: a folder of ``.eml`` files, local addresses.

Flask-Mail (through invenio-mail) sends every message of the registry (sign-up
confirmation, password reset, notifications) and announces each one with its
``email_dispatched`` signal, also when ``MAIL_SUPPRESS_SEND`` keeps it from being sent.
The sink listens to that signal and writes the message as an ``.eml`` file into
``DEMOS_MAIL_SINK_FOLDER``, so that a new user of ``scripts/run`` can open the
confirmation link. ``DEMOS_EMAIL_ALLOWED_SPECIAL_DOMAINS`` lets sign-up accept
addresses such as ``@demos.local`` that email_validator refuses as special-use names.
"""

from .addresses import allow_special_email_domains
from .sink import init_mail_sink, sink_folder, write_message

__all__ = ("allow_special_email_domains", "init_mail_sink", "sink_folder", "write_message")
