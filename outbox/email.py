"""The outbox's email channel: one email through Django's email backend (SMTP in production), what
goes wrong classified once for every table that sends email (campaign emails, subscriber emails,
emails to trusts). Reasons are strikeops/redaction.py's: status codes only, never a server's reply
(servers quote the refused address in it)."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMessage, get_connection

from outbox.engine import PermanentFailure, TemporaryFailure
from strikeops.redaction import send_failure_reason


def send_email(email: EmailMessage) -> None:
    """Send one email, raising TemporaryFailure or PermanentFailure for what went wrong."""
    try:
        get_connection(fail_silently=False).send_messages([email])
    except smtplib.SMTPRecipientsRefused as error:
        if all(400 <= code < 500 for code, _ in error.recipients.values()) and error.recipients:
            raise TemporaryFailure(send_failure_reason(error)) from None
        raise PermanentFailure(send_failure_reason(error)) from None
    except smtplib.SMTPResponseException as error:
        # 5xx on the message itself will fail again; 4xx and authentication or sender
        # problems are the server's or our configuration's, worth retrying after a fix.
        if error.smtp_code >= 500 and isinstance(error, smtplib.SMTPDataError):
            raise PermanentFailure(send_failure_reason(error)) from None
        raise TemporaryFailure(send_failure_reason(error)) from None
    except (ConnectionError, TimeoutError, OSError) as error:
        # OSError covers refused connections, DNS failures, timeouts and a dropped connection.
        raise TemporaryFailure(send_failure_reason(error)) from None
