"""A Flask-Mailman backend that writes mails to the server log: the default when no
``SUPPORT_SMTP_URL`` is set, so a laptop never fails for want of a mail server."""

from __future__ import annotations

import logging

from flask_mailman.backends.base import BaseEmailBackend

log = logging.getLogger("support.mail")


class EmailBackend(BaseEmailBackend):
    """Flask-Mailman finds a backend module's ``EmailBackend``."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            log.info(
                "mail (no SUPPORT_SMTP_URL set, not sent) to %s: %s\n%s",
                ", ".join(message.recipients()),
                message.subject,
                message.body,
            )
        return len(email_messages)
