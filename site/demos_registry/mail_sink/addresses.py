"""E-mail addresses on special-use domains (``@demos.local``) accepted by the account forms.

Flask-Security's and invenio-userprofiles' forms check addresses with email_validator,
which refuses the special-use domain names of ``email_validator.SPECIAL_USE_DOMAIN_NAMES``
(``local``, ``localhost``, ``test``, ...) as "Invalid email address". email_validator's
documented way to accept one of them is to remove it from that list: that list is one per
process, so the setting of any app of the process applies to all of them.
"""

import email_validator


def allow_special_email_domains(app):
    """Accept the domains of ``DEMOS_EMAIL_ALLOWED_SPECIAL_DOMAINS`` (e.g. ``["local"]``)."""
    allowed = app.config.setdefault("DEMOS_EMAIL_ALLOWED_SPECIAL_DOMAINS", [])
    if isinstance(allowed, str):
        allowed = [allowed]
    for name in allowed or ():
        name = str(name).strip().lower().strip(".")
        while name in email_validator.SPECIAL_USE_DOMAIN_NAMES:
            email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(name)
