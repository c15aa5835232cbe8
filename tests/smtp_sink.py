"""A real SMTP server on localhost (aiosmtpd) for tests of everything the outbox emails: it keeps every
message and can refuse the next few, like a real server: `with smtp_sink() as mailbox:` in a fixture."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from django.test import override_settings

from tests.conftest import free_port


class Mailbox:
    """An aiosmtpd handler that keeps every message and can refuse the next few, like a real server."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_data: list[str] = []   # replies to DATA, used in order, e.g. "451 try again later"
        self.refuse_rcpt: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]



@contextmanager
def smtp_sink(**settings: object) -> Iterator[Mailbox]:
    """The server, and Django's SMTP backend pointed at it (with any further settings given)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                               EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port, EMAIL_USE_TLS=False,
                               EMAIL_USE_SSL=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="", **settings):
            yield mailbox
    finally:
        controller.stop()
