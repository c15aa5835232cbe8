"""What may be said about a failed message: status codes and classified reasons, never contact
details or personalisation (docs/security.md, "No personal data in logs or error columns").

- `send_failure_reason(error)`: the one text stored in an error column or logged for a failed send,
  built from the exception's class and status code only. Mail servers put the refused address in
  their replies (Postfix: "550 5.1.1 <addr>: Recipient address rejected: User unknown"), so a
  reply's text is never kept.
- `scrub(text, *values)`: the safety net for text we did not build: removes the given values (the
  recipient's own details) and anything shaped like an email address, phone number or NHS number.
- `PersonalDataLogFilter`: `scrub` on every log record the console handler writes (settings.LOGGING),
  messages, arguments and tracebacks alike.
"""

from __future__ import annotations

import logging
import re
import smtplib
import traceback

REDACTED = "[redacted]"
EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone numbers and NHS numbers (10 digits, often written 3 3 4): eight or more digits with spaces,
# dashes or a leading +. Counts and ids in our messages are shorter.
# Not the decimals of a duration, nor an ISO date (2023-04-12).
NUMBER_LIKE = re.compile(r"(?<![\d.])(?!\d{4}-\d{2}-\d{2}(?![\d-]))\+?\d[\d\s-]{7,}\d(?![\d.])")


def scrub(text: str, *values: object) -> str:
    for value in values:
        if value is not None and len(str(value)) >= 3:
            text = text.replace(str(value), REDACTED)
    return NUMBER_LIKE.sub(REDACTED, EMAIL_LIKE.sub(REDACTED, text))


def send_failure_reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        text = ", ".join(str(code) for code in codes)
        if codes and all(400 <= code < 500 for code in codes):
            return f"The mail server deferred the recipient (SMTP {text})"
        return f"The mail server refused the recipient (SMTP {text})"
    if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
        return f"The mail server refused the message (SMTP {error.smtp_code})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server answered SMTP {error.smtp_code}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "The mail server closed the connection"
    if isinstance(error, (ConnectionError, TimeoutError, OSError)):
        # OSError covers refused connections, DNS failures and timeouts; its text may name hosts.
        return f"Could not reach the mail server ({type(error).__name__})"
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return f"The provider answered HTTP {status} ({type(error).__name__})"
    return f"Unexpected error ({type(error).__name__})"


class PersonalDataLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
