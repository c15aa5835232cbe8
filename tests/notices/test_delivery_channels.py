"""Channels against real servers on localhost: GOV.UK Notify's official client talking to an HTTP
server that answers like the Notify API, and Django's SMTP backend talking to aiosmtpd."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ImproperlyConfigured

from notices.channels import LogChannel, RenderedMessage, channel_for
from notices.models import Campaign, CampaignStatus, Channel, Delivery, DeliveryStatus
from notices.services.opt_outs import opt_out_token
from tests.notices.delivery_support import make_campaign, row, send_one, use_fast_delivery
from trusts import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_delivery(settings):
    yield from use_fast_delivery(settings)

SERVICE_ID = "3a1f8c8e-6f0e-4c0c-9a53-2f0e5d3b8a11"
SECRET = "c5f1a8d2-8b7e-4b8e-9d3c-7f2a1e6b4c90"
API_KEY = f"strikeops_test-{SERVICE_ID}-{SECRET}"
TEMPLATES = {"email": "f33517ff-2a88-4f6e-b855-c550268ce08a", "sms": "2f1b7c44-5d7e-4a0f-8a1e-3c6b9d2e4f10",
             "letter": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"}


# --- a local HTTP server that answers like the Notify API -------------------------------------------

class FakeNotify:
    """POST /v2/notifications/{email,sms,letter} and GET /v2/notifications?reference=... as Notify
    answers them. `answers` is a list of (status, body) used in turn for POSTs (then 201)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.posts: list[dict[str, Any]] = []
        self.gets: list[dict[str, list[str]]] = []
        self.accepted: dict[str, dict[str, Any]] = {}  # reference -> notification
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
                except jwt.PyJWTError:
                    return False
                return claims.get("iss") == SERVICE_ID

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                kind = self.path.rsplit("/", 1)[-1]
                fake.posts.append({"kind": kind, **body})
                if not self._authorised():
                    self._reply(403, {"status_code": 403, "errors": [
                        {"error": "AuthError", "message": "Invalid token: signature, api token not found"}]})
                    return
                status, answer = fake.answers.pop(0) if fake.answers else (201, {})
                if status == 201:
                    notification = {"id": str(uuid.uuid4()), "reference": body.get("reference"),
                                    "status": "created", "type": kind}
                    fake.accepted[str(body.get("reference"))] = notification
                    answer = {"id": notification["id"], "reference": body.get("reference"),
                              "content": {"body": body["personalisation"].get("body", "")},
                              "template": {"id": body["template_id"], "version": 1, "uri": "x"},
                              "uri": "x"}
                if fake.delay:
                    time.sleep(fake.delay)
                self._reply(status, answer)

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                fake.gets.append(query)
                if not self._authorised():
                    self._reply(403, {"status_code": 403, "errors": [{"error": "AuthError", "message": "no"}]})
                    return
                reference = query.get("reference", [""])[0]
                found = [fake.accepted[reference]] if reference in fake.accepted else []
                self._reply(200, {"notifications": found, "links": {"current": "x"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def error(status: int, name: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status_code": status, "errors": [{"error": name, "message": message}]}


@pytest.fixture
def notify(settings, fast_delivery) -> Iterator[FakeNotify]:
    fake = FakeNotify()
    settings.DELIVERY_CHANNELS = {"email": "notify", "sms": "notify", "letter": "notify"}
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = fake.url
    settings.NOTIFY_TIMEOUT = 1
    settings.NOTIFY_TEMPLATE_ID_EMAIL = TEMPLATES["email"]
    settings.NOTIFY_TEMPLATE_ID_SMS = TEMPLATES["sms"]
    settings.NOTIFY_TEMPLATE_ID_LETTER = TEMPLATES["letter"]
    yield fake
    fake.stop()


def sending(campaign: Campaign) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, started_at=clock.now(),
                                                   figures={"trust_name": campaign.trust.name})
    return campaign


def only_delivery(campaign: Campaign) -> Delivery:
    return Delivery.objects.get(campaign=campaign)


def test_email_through_notify_carries_the_delivery_id_as_reference_and_the_one_click_opt_out(
        rwe, chris, notify, settings):
    settings.SITE_URL = "https://strikeops.example"
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.SENT
    [sent] = notify.posts
    stop = f"https://strikeops.example/messages/stop/{opt_out_token(delivery.recipient_id)}/"
    assert sent == {
        "kind": "email", "email_address": "pat@example.com", "template_id": TEMPLATES["email"],
        "reference": str(delivery.pk),
        "personalisation": {"subject": "Your appointment at University Hospitals of Leicester NHS Trust",
                            "body": "Dear Alex 2, your appointment on 12 April 2023 is moved. "
                                    "University Hospitals of Leicester NHS Trust\n\n"
                                    "If you do not want more messages like this from University Hospitals of "
                                    f"Leicester NHS Trust, go to {stop}"},
        # Notify writes List-Unsubscribe and List-Unsubscribe-Post from this.
        "one_click_unsubscribe_url": f"{stop}one-click/",
    }
    delivery.refresh_from_db()
    assert delivery.provider_reference == notify.accepted[str(delivery.pk)]["id"]
    assert delivery.sent_at is not None and delivery.status == DeliveryStatus.SENT


def test_sms_and_letters_through_notify(rwe, chris, notify):
    sms = sending(make_campaign(rwe, chris, [row(2, phone="+447700900123")], channel=Channel.SMS))
    letter = sending(make_campaign(rwe, chris, [row(2, address_lines=["Pat Smith", "1 High Street", "LE1 5WW"])],
                                   channel=Channel.LETTER))
    assert send_one(only_delivery(sms).pk) == DeliveryStatus.SENT
    assert send_one(only_delivery(letter).pk) == DeliveryStatus.SENT
    text, post = notify.posts
    assert (text["kind"], text["phone_number"], text["template_id"]) == ("sms", "+447700900123", TEMPLATES["sms"])
    assert text["personalisation"]["body"].startswith("University Hospitals of Leicester NHS Trust: Alex 2,")
    assert post["kind"] == "letter" and post["template_id"] == TEMPLATES["letter"]
    assert {k: v for k, v in post["personalisation"].items() if k.startswith("address")} == {
        "address_line_1": "Pat Smith", "address_line_2": "1 High Street", "address_line_3": "LE1 5WW"}


@pytest.mark.parametrize(("answer", "reason"), [
    (error(400, "BadRequestError", "Can't send to this recipient using a team-only API key"),
     "GOV.UK Notify refused the message (HTTP 400): BadRequestError: Can't send to this recipient using a "
     "team-only API key"),
    (error(403, "AuthError", "Invalid token: API key revoked"),
     "GOV.UK Notify refused the message (HTTP 403): AuthError: Invalid token: API key revoked"),
])
def test_notify_400_and_403_are_permanent(rwe, chris, notify, answer, reason):
    notify.answers.append(answer)
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.PERMANENT_FAILURE
    delivery.refresh_from_db()
    assert delivery.failure_reason == reason and delivery.attempts == 1


def test_a_wrong_api_key_is_refused_by_the_server_and_is_permanent(rwe, chris, notify, settings):
    settings.NOTIFY_API_KEY = f"strikeops_test-{SERVICE_ID}-{uuid.uuid4()}"
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    assert send_one(only_delivery(campaign).pk) == DeliveryStatus.PERMANENT_FAILURE


@pytest.mark.parametrize(("answer", "reason"), [
    (error(429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
     "GOV.UK Notify rate limit reached (HTTP 429): RateLimitError: Exceeded rate limit for key type LIVE of 3000 "
     "requests per 60 seconds"),
    (error(500, "Exception", "Internal server error"),
     "GOV.UK Notify is unavailable (HTTP 500): Exception: Internal server error"),
])
def test_notify_429_and_500_are_retried_and_then_sent_once(rwe, chris, notify, monkeypatch, answer, reason):
    notify.answers.append(answer)
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.AWAITING_RETRY
    delivery.refresh_from_db()
    assert delivery.failure_reason == reason
    assert notify.accepted == {}

    later = clock.now() + dt.timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert send_one(delivery.pk) == DeliveryStatus.SENT
    # The second attempt first asked Notify for the reference, found nothing, then sent.
    assert notify.gets == [{"reference": [str(delivery.pk)]}]
    assert [p["reference"] for p in notify.posts] == [str(delivery.pk)] * 2
    assert len(notify.accepted) == 1


def test_a_timeout_is_temporary_and_a_message_notify_took_meanwhile_is_not_sent_again(
        rwe, chris, notify, monkeypatch):
    """Notify took the message but answered after our timeout: the retry finds it by reference."""
    notify.delay = 1.5  # longer than NOTIFY_TIMEOUT
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.AWAITING_RETRY
    delivery.refresh_from_db()
    assert delivery.failure_reason.startswith("GOV.UK Notify is unavailable (HTTP 503)")
    notify.delay = 0
    later = clock.now() + dt.timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert send_one(delivery.pk) == DeliveryStatus.SENT
    assert len(notify.posts) == 1
    delivery.refresh_from_db()
    assert delivery.provider_reference == notify.accepted[str(delivery.pk)]["id"]


def test_notify_unreachable_is_temporary(rwe, chris, notify, settings):
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{closed_port()}"
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    assert send_one(only_delivery(campaign).pk) == DeliveryStatus.AWAITING_RETRY


def test_a_missing_notify_template_id_is_permanent(rwe, chris, notify, settings):
    settings.NOTIFY_TEMPLATE_ID_SMS = ""
    campaign = sending(make_campaign(rwe, chris, [row(2, phone="+447700900123")], channel=Channel.SMS))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.PERMANENT_FAILURE
    delivery.refresh_from_db()
    assert delivery.failure_reason == "No GOV.UK Notify template is configured for sms messages"
    assert notify.posts == []


# --- SMTP through Django's email backend, against aiosmtpd -------------------------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("unknown"):
            return "550 5.1.1 <unknown> No such user here"
        if address.startswith("busy"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings, fast_delivery) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=closed_port())
    controller.start()
    settings.DELIVERY_CHANNELS = {"email": "email", "sms": "none", "letter": "none"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield mailbox
    controller.stop()


def test_email_through_a_real_smtp_server(rwe, chris, smtp):
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.SENT
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["pat@example.com"]
    content = envelope.content.decode()
    assert f"X-Strikeops-Delivery: {delivery.pk}" in content
    assert "Subject: Your appointment at University Hospitals of Leicester NHS Trust" in content
    delivery.refresh_from_db()
    assert delivery.provider_reference.startswith(f"delivery-{delivery.pk}") or str(delivery.pk) in (
        delivery.provider_reference)


def test_a_refused_recipient_is_permanent_and_the_reason_has_no_address(rwe, chris, smtp):
    campaign = sending(make_campaign(rwe, chris, [row(2, email="unknown.patient@example.com")]))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.PERMANENT_FAILURE
    delivery.refresh_from_db()
    assert delivery.failure_reason == "The mail server refused the recipient (SMTP 550)"
    assert smtp.messages == []


def test_a_deferred_recipient_is_temporary(rwe, chris, smtp):
    campaign = sending(make_campaign(rwe, chris, [row(2, email="busy@example.com")]))
    assert send_one(only_delivery(campaign).pk) == DeliveryStatus.AWAITING_RETRY


def test_smtp_refusing_connections_is_retried_then_recorded_as_failed(rwe, chris, smtp, settings, monkeypatch):
    settings.EMAIL_PORT = closed_port()
    settings.DELIVERY_MAX_ATTEMPTS = 3
    campaign = sending(make_campaign(rwe, chris, [row(2, email="pat@example.com")]))
    delivery = only_delivery(campaign)
    now = clock.now()
    outcomes = []
    for _ in range(3):
        monkeypatch.setattr(clock, "now", lambda now=now: now)
        outcomes.append(send_one(delivery.pk))
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            now = delivery.next_attempt_at
    assert outcomes == [DeliveryStatus.AWAITING_RETRY, DeliveryStatus.AWAITING_RETRY, DeliveryStatus.PERMANENT_FAILURE]
    assert delivery.failure_reason == ("Could not reach the mail server (ConnectionRefusedError) "
                                       "(gave up after 3 attempts)")
    assert delivery.attempts == 3


def test_the_email_backend_cannot_send_texts(rwe, chris, smtp, settings):
    settings.DELIVERY_CHANNELS = {**settings.DELIVERY_CHANNELS, "sms": "email"}
    campaign = sending(make_campaign(rwe, chris, [row(2, phone="+447700900123")], channel=Channel.SMS))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.PERMANENT_FAILURE
    delivery.refresh_from_db()
    assert delivery.failure_reason == "The email channel cannot send sms messages"


def test_no_channel_configured_is_a_permanent_failure(rwe, chris, smtp):
    campaign = sending(make_campaign(rwe, chris, [row(2, phone="+447700900123")], channel=Channel.SMS))
    delivery = only_delivery(campaign)
    assert send_one(delivery.pk) == DeliveryStatus.PERMANENT_FAILURE
    delivery.refresh_from_db()
    assert delivery.failure_reason == "No channel is configured to send sms messages"


# --- the development channel ----------------------------------------------------------------------

def test_the_development_channel_logs_the_delivery_id_only(caplog):
    delivery = Delivery(pk=4242)
    message = RenderedMessage(kind="sms", body="Dear Pat, 9434765919", phone="+447700900123")
    with caplog.at_level(logging.DEBUG):
        result = LogChannel().send(delivery, message)
    assert result.status == DeliveryStatus.DELIVERED
    assert caplog.messages == ["delivery 4242: sms message written to the development log, not sent"]


def test_channels_come_from_settings(settings):
    settings.DELIVERY_CHANNELS = {"email": "email", "sms": "log", "letter": "none"}
    assert [channel_for(kind).name for kind in ("email", "sms", "letter")] == ["email", "log", "none"]


def test_the_notify_channel_and_its_connections_are_kept_from_one_task_to_the_next(notify, settings) -> None:
    """One Notify channel per process and configuration: a send task reuses the last one's client,
    so its keep-alive connections to Notify stay open; changed settings make a new one."""
    first = channel_for("sms")
    assert channel_for("email") is first and channel_for("sms") is first
    settings.DELIVERY_SEND_THREADS = settings.DELIVERY_SEND_THREADS + 1
    second = channel_for("sms")
    assert second is not first and channel_for("sms") is second
    settings.NOTIFY_API_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        channel_for("sms")
