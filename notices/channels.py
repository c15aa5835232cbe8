"""Channels: the one small interface between a delivery and whoever carries the message.

    send(delivery, message) -> SendResult          the provider took it (or, for some, delivered it)
                            raises TemporaryFailure  worth trying again later (we retry with back-off)
                            raises PermanentFailure  will never work (we stop)
    lookup(delivery) -> SendResult | None          does the provider hold this delivery already?
                            raises LookupUnsupported the provider cannot say (SMTP, the log)

`lookup` is what lets a delivery left in "sending" by a killed worker be settled without sending
it twice: GOV.UK Notify is asked for the notification whose reference is the delivery id.

Failures are the outbox's (outbox.engine: TemporaryFailure, PermanentFailure) and emails go through
its email channel (outbox.email.send_email), shared with every other table of the outbox.
Failure reasons must never contain contact details: they are shown on the campaign page, kept after
the purge and logged. Channels build them from status codes and provider error names, never from
str(exception) (smtplib puts the refused address in its exceptions), and the delivery service
redacts the recipient's own details from them once more before storing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid

from notices.models.campaigns import DeliveryStatus
from outbox.email import send_email
from outbox.engine import PermanentFailure, SendFailure, TemporaryFailure

if TYPE_CHECKING:
    from notices.models.campaigns import Delivery

logger = logging.getLogger("notices.delivery")

CHANNEL_NAMES = ("notify", "email", "log", "test", "none")


@dataclass(frozen=True)
class RenderedMessage:
    """What one recipient gets, placeholders filled. Kept in memory only, never stored or logged."""

    kind: str  # "email", "sms" or "letter"
    body: str
    subject: str = ""
    email: str | None = None
    phone: str | None = None
    address_lines: list[str] = field(default_factory=list)
    # Emails: where a mail client's one-click unsubscribe POSTs (RFC 8058), the patient's opt-out.
    unsubscribe_url: str = ""


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe, and RFC 8058's one-click List-Unsubscribe-Post, which the RFC
    allows only for an https address (SITE_URL is https in production; a development http one
    gets the link header alone)."""
    if not url:
        return {}
    headers = {"List-Unsubscribe": f"<{url}>"}
    if url.startswith("https://"):
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


@dataclass(frozen=True)
class SendResult:
    provider_reference: str
    # SENT: handed to a provider that may still report the outcome; DELIVERED: nothing further to learn.
    status: str = DeliveryStatus.SENT


class LookupUnsupported(Exception):
    """The channel cannot tell whether it already holds a message."""


class Channel(Protocol):
    name: str

    def send(self, delivery: Delivery, message: RenderedMessage) -> SendResult: ...

    def lookup(self, delivery: Delivery) -> SendResult | None: ...


# --- GOV.UK Notify ----------------------------------------------------------------------------

# Notify's statuses as this service records them. "technical-failure" means Notify never sent it.
NOTIFY_STATUSES: dict[str, str] = {
    "created": DeliveryStatus.SENT,
    "sending": DeliveryStatus.SENT,
    "pending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,  # international SMS: no receipt will come
    "accepted": DeliveryStatus.SENT,  # letter: being printed
    "delivered": DeliveryStatus.DELIVERED,
    "received": DeliveryStatus.DELIVERED,  # letter: posted
    "permanent-failure": DeliveryStatus.PERMANENT_FAILURE,
    "validation-failed": DeliveryStatus.PERMANENT_FAILURE,
    "virus-scan-failed": DeliveryStatus.PERMANENT_FAILURE,
    "cancelled": DeliveryStatus.PERMANENT_FAILURE,
    "temporary-failure": DeliveryStatus.TEMPORARY_FAILURE,
    "technical-failure": DeliveryStatus.TEMPORARY_FAILURE,
}
# Letters need at least three address lines (the last a postcode) and at most seven.
LETTER_ADDRESS_LINES = 7


def _notify_error_detail(error: Exception) -> str:
    """'BadRequestError: Can't send to this recipient using a team-only API key' from Notify's JSON."""
    errors = getattr(error, "message", None)
    if isinstance(errors, list):
        parts = [f"{e.get('error', 'Error')}: {e.get('message', '')}" for e in errors if isinstance(e, dict)]
        return "; ".join(parts)[:300]
    if isinstance(errors, str):
        return errors[:300]
    return ""


def notify_failure(error: Exception) -> SendFailure:
    """400 and 403 (and any other 4xx but 429) will fail again: permanent. 429 (rate limit), 5xx and
    network errors (the client reports those as 503) may pass later: temporary."""
    code = getattr(error, "status_code", 503)
    detail = _notify_error_detail(error)
    suffix = f": {detail}" if detail else ""
    if 400 <= code < 500 and code != 429:
        return PermanentFailure(f"GOV.UK Notify refused the message (HTTP {code}){suffix}")
    if code == 429:
        return TemporaryFailure(f"GOV.UK Notify rate limit reached (HTTP 429){suffix}")
    return TemporaryFailure(f"GOV.UK Notify is unavailable (HTTP {code}){suffix}")


class NotifyChannel:
    """GOV.UK Notify through its official client. Our own template is rendered here and sent as the
    ((subject)) and ((body)) of one generic Notify template per kind (NOTIFY_TEMPLATE_ID_*), so that
    templates are edited in one place; the delivery id travels as Notify's `reference`."""

    name = "notify"
    # Each call waits 100-200 ms on Notify: the engine sends through this channel from several
    # threads at once (DELIVERY_SEND_THREADS). The client's requests.Session is shared by them, its
    # connection pool sized to match so that every thread keeps its connection open.
    concurrent = True

    def __init__(self, api_key: str, base_url: str, template_ids: dict[str, str], timeout: int = 30,
                 threads: int = 1) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient
        from requests.adapters import HTTPAdapter
        from requests.utils import get_environ_proxies

        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)
        session = self.client.request_session
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, threads))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # requests reads the proxy and CA bundle variables from the environment on every call (a
        # walk through os.environ: a third of the client's CPU per message, BENCHMARKS.md). Read
        # them once, here, for the life of the channel.
        session.proxies.update(get_environ_proxies(base_url))
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.trust_env = False
        self.template_ids = template_ids

    def send(self, delivery: Delivery, message: RenderedMessage) -> SendResult:
        from notifications_python_client.errors import APIError

        template_id = self.template_ids.get(message.kind)
        if not template_id:
            raise PermanentFailure(f"No GOV.UK Notify template is configured for {message.kind} messages")
        reference = str(delivery.pk)
        try:
            if message.kind == "sms":
                response = self.client.send_sms_notification(
                    phone_number=message.phone, template_id=template_id,
                    personalisation={"body": message.body}, reference=reference)
            elif message.kind == "email":
                # Notify writes the List-Unsubscribe headers itself from one_click_unsubscribe_url.
                response = self.client.send_email_notification(
                    email_address=message.email, template_id=template_id,
                    personalisation={"subject": message.subject, "body": message.body}, reference=reference,
                    one_click_unsubscribe_url=message.unsubscribe_url or None)
            elif message.kind == "letter":
                lines = [line for line in message.address_lines if line][:LETTER_ADDRESS_LINES]
                if len(lines) < 3:
                    raise PermanentFailure("A letter needs at least 3 address lines")
                personalisation = {f"address_line_{i}": line for i, line in enumerate(lines, start=1)}
                personalisation.update(subject=message.subject, body=message.body)
                response = self.client.send_letter_notification(
                    template_id=template_id, personalisation=personalisation, reference=reference)
            else:
                raise PermanentFailure(f"GOV.UK Notify cannot send {message.kind} messages")
        except APIError as error:
            raise notify_failure(error) from None
        if not isinstance(response, dict) or not response.get("id"):
            raise TemporaryFailure("GOV.UK Notify answered without a notification id")
        return SendResult(provider_reference=str(response["id"]), status=DeliveryStatus.SENT)

    def lookup(self, delivery: Delivery) -> SendResult | None:
        from notifications_python_client.errors import APIError

        try:
            response = self.client.get_all_notifications(reference=str(delivery.pk))
        except APIError as error:
            # Cannot tell now: the caller leaves the delivery alone and asks again later.
            raise notify_failure(error) from None
        for notification in (response or {}).get("notifications", []):
            status = NOTIFY_STATUSES.get(notification.get("status", ""), DeliveryStatus.SENT)
            # A technical failure means Notify never sent it: as good as no record.
            if notification.get("status") != "technical-failure":
                return SendResult(provider_reference=str(notification.get("id", "")), status=status)
        return None


# --- Django's email backend (SMTP in production) ---------------------------------------------

class EmailBackendChannel:
    name = "email"

    def send(self, delivery: Delivery, message: RenderedMessage) -> SendResult:
        if message.kind != "email":
            raise PermanentFailure(f"The email channel cannot send {message.kind} messages")
        if message.email is None:
            raise PermanentFailure("The message has no email address")
        message_id = make_msgid(idstring=f"delivery-{delivery.pk}")
        email = EmailMessage(
            subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.email], headers={"Message-ID": message_id, "X-Strikeops-Delivery": str(delivery.pk),
                                         **unsubscribe_headers(message.unsubscribe_url)},
        )
        send_email(email)
        return SendResult(provider_reference=message_id.strip("<>")[:255], status=DeliveryStatus.SENT)

    def lookup(self, delivery: Delivery) -> SendResult | None:
        raise LookupUnsupported("An SMTP server cannot be asked what it has accepted")


# --- Development and tests -------------------------------------------------------------------

class LogChannel:
    """For development: writes a line per message to the log and sends nothing. Only the delivery
    id is logged; the text and the recipient never are (logs are not a place for patient data)."""

    name = "log"

    def send(self, delivery: Delivery, message: RenderedMessage) -> SendResult:
        logger.info("delivery %s: %s message written to the development log, not sent", delivery.pk, message.kind)
        return SendResult(provider_reference=f"log-{delivery.pk}", status=DeliveryStatus.DELIVERED)

    def lookup(self, delivery: Delivery) -> SendResult | None:
        raise LookupUnsupported("The development log keeps no record")


class NoChannel:
    """Configured when nothing can carry a kind of message (SMS without a Notify key in production)."""

    name = "none"

    def send(self, delivery: Delivery, message: RenderedMessage) -> SendResult:
        raise PermanentFailure(f"No channel is configured to send {message.kind} messages")

    def lookup(self, delivery: Delivery) -> SendResult | None:
        return None


class SendRecord(Protocol):
    def attempt(self, delivery_id: int) -> None: ...
    def sent(self, delivery_id: int) -> None: ...
    def sends(self, delivery_id: int) -> int: ...
    def totals(self) -> tuple[dict[int, int], dict[int, int]]: ...
    def clear(self) -> None: ...


class RedisSendRecord:
    """Kept in Redis so that a test can count what a worker in another process sent."""

    ATTEMPTS = "strikeops:test-channel:attempts"
    SENDS = "strikeops:test-channel:sends"

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def attempt(self, delivery_id: int) -> None:
        self.client.hincrby(self.ATTEMPTS, str(delivery_id), 1)

    def sent(self, delivery_id: int) -> None:
        self.client.hincrby(self.SENDS, str(delivery_id), 1)

    def sends(self, delivery_id: int) -> int:
        return int(self.client.hget(self.SENDS, str(delivery_id)) or 0)

    def totals(self) -> tuple[dict[int, int], dict[int, int]]:
        def read(key: str) -> dict[int, int]:
            return {int(k): int(v) for k, v in self.client.hgetall(key).items()}

        return read(self.ATTEMPTS), read(self.SENDS)

    def clear(self) -> None:
        self.client.delete(self.ATTEMPTS, self.SENDS)


class MemorySendRecord:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: dict[int, int] = {}
        self.sent_counts: dict[int, int] = {}

    def attempt(self, delivery_id: int) -> None:
        with self.lock:
            self.attempts[delivery_id] = self.attempts.get(delivery_id, 0) + 1

    def sent(self, delivery_id: int) -> None:
        with self.lock:
            self.sent_counts[delivery_id] = self.sent_counts.get(delivery_id, 0) + 1

    def sends(self, delivery_id: int) -> int:
        return self.sent_counts.get(delivery_id, 0)

    def totals(self) -> tuple[dict[int, int], dict[int, int]]:
        return dict(self.attempts), dict(self.sent_counts)

    def clear(self) -> None:
        with self.lock:
            self.attempts.clear()
            self.sent_counts.clear()


_memory_record = MemorySendRecord()


def recording_channel_record() -> SendRecord:
    """Where the test channel writes: the shared Redis when there is one, else this process."""
    from notices.ratelimit import delivery_redis_url

    url = delivery_redis_url()
    return RedisSendRecord(url) if url else _memory_record


def simulated_failure(address: str | None, attempt: int) -> SendFailure | None:
    """The test channel fails on purpose for addresses that say so, like Notify's simulator ones:
    perm-fail@...      always a permanent failure
    temp-fail@...      always a temporary failure (so it ends as permanent after the last attempt)
    temp-fail-N@...    a temporary failure on the first N attempts, then success
    (anything after a '+' in the local part is ignored, so that addresses can be unique)."""
    local = (address or "").split("@")[0].split("+")[0].lower()
    if local == "perm-fail":
        return PermanentFailure("Simulated permanent failure")
    if local == "temp-fail":
        return TemporaryFailure("Simulated temporary failure")
    if local.startswith("temp-fail-") and local[10:].isdigit() and attempt <= int(local[10:]):
        return TemporaryFailure("Simulated temporary failure")
    return None


class RecordingChannel:
    """A provider stand-in for tests ("test"): records every attempt and every accepted message by
    delivery id (in Redis, so a test can count a worker's sends), can be asked what it holds (like
    Notify), and fails on purpose for simulator addresses. DELIVERY_TEST_CHANNEL_DELAY_MS holds each
    accepted message that long before answering: the window in which a killed worker leaves the
    provider with the message and us without the outcome."""

    name = "test"

    def __init__(self) -> None:
        self.record = recording_channel_record()
        self.delay = settings.DELIVERY_TEST_CHANNEL_DELAY_MS / 1000

    def send(self, delivery: Delivery, message: RenderedMessage) -> SendResult:
        self.record.attempt(delivery.pk)
        failure = simulated_failure(message.email or message.phone, delivery.attempts)
        if failure:
            raise failure
        self.record.sent(delivery.pk)
        if self.delay:
            time.sleep(self.delay)
        return SendResult(provider_reference=f"test-{delivery.pk}", status=DeliveryStatus.DELIVERED)

    def lookup(self, delivery: Delivery) -> SendResult | None:
        if self.record.sends(delivery.pk):
            return SendResult(provider_reference=f"test-{delivery.pk}", status=DeliveryStatus.DELIVERED)
        return None


# The Notify channel of this process, by the settings it was made from (and the process id: a channel
# made before a fork is never used by the child). Kept from one send task to the next, so that its
# keep-alive connections to Notify stay open: made per task, every task opened DELIVERY_SEND_THREADS
# new connections and closed them at its end (BENCHMARKS.md, "GOV.UK Notify throughput").
_notify_channels: dict[tuple[object, ...], NotifyChannel] = {}


def _notify_channel() -> NotifyChannel:
    if not settings.NOTIFY_API_KEY:
        raise ImproperlyConfigured("The notify channel needs NOTIFY_API_KEY")
    template_ids = {"email": settings.NOTIFY_TEMPLATE_ID_EMAIL, "sms": settings.NOTIFY_TEMPLATE_ID_SMS,
                    "letter": settings.NOTIFY_TEMPLATE_ID_LETTER}
    key = (os.getpid(), settings.NOTIFY_API_KEY, settings.NOTIFY_BASE_URL, *template_ids.values(),
           settings.NOTIFY_TIMEOUT, settings.DELIVERY_SEND_THREADS)
    channel = _notify_channels.get(key)
    if channel is None:
        _notify_channels.clear()  # one at a time: settings change only in tests
        channel = _notify_channels[key] = NotifyChannel(
            settings.NOTIFY_API_KEY, settings.NOTIFY_BASE_URL, template_ids,
            timeout=settings.NOTIFY_TIMEOUT, threads=settings.DELIVERY_SEND_THREADS)
    return channel


def channel_name_for(kind: str) -> str:
    name = settings.DELIVERY_CHANNELS.get(kind, "none")
    if name not in CHANNEL_NAMES:
        raise ImproperlyConfigured(f"Unknown delivery channel {name!r} for {kind}; use one of {CHANNEL_NAMES}")
    return name


def channel_for(kind: str) -> Channel:
    """The channel that sends `kind` ("email", "sms", "letter") messages, from settings."""
    name = channel_name_for(kind)
    if name == "notify":
        return _notify_channel()
    if name == "email":
        return EmailBackendChannel()
    if name == "log":
        return LogChannel()
    if name == "test":
        return RecordingChannel()
    return NoChannel()
