"""No personal data in logs or error columns (strikeops/redaction.py). A campaign and subscriber
emails go through a real SMTP server (aiosmtpd) that refuses some recipients the way Postfix does,
naming the address in its reply; every log record at every level, and every error column, is then
searched for the addresses, phone numbers, NHS numbers and personalisation values."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from notices.models import Delivery, DeliveryStatus, SubscriberEmail, Subscription, SubscriptionStatus
from notices.services.campaigns import campaign_start
from notices.services.notices import notice_create, notice_publish
from notices.services.subscriptions import subscription_request
from strikeops.redaction import PersonalDataLogFilter, scrub, send_failure_reason
from tests.conftest import free_port
from tests.notices.delivery_support import FAST, make_campaign, row
from trusts.models import ReminderSent

pytestmark = pytest.mark.django_db

REFUSED = "refused.patient@example.com"
DEFERRED = "deferred.patient@example.com"
ACCEPTED = "accepted.patient@example.com"
SUBSCRIBER_REFUSED = "refused.subscriber@example.org"
NHS_NUMBERS = ["9434765919", "4010232137", "9990001112"]
PERSONAL_VALUES = ["Zebedee Quxworth 2", "Zebedee Quxworth 3", "Zebedee Quxworth 4"]
SECRETS = [REFUSED, DEFERRED, ACCEPTED, SUBSCRIBER_REFUSED, *NHS_NUMBERS, *PERSONAL_VALUES,
           "refused.patient", "refused.subscriber"]


class PostfixLike:
    """Answers RCPT TO as Postfix does: the address in the reply text."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
        if address.startswith("deferred"):
            return f"450 4.2.0 <{address}>: Recipient address rejected: Greylisted, see https://example.org/"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.extend(envelope.rcpt_tos)
        return "250 2.0.0 Ok: queued"



@pytest.fixture
def smtp(settings) -> Iterator[PostfixLike]:
    handler = PostfixLike()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    for name, value in FAST.items():
        setattr(settings, name, value)
    settings.DELIVERY_CHANNELS = {"email": "email", "sms": "none", "letter": "none"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


def _ours(caplog: Any) -> list[logging.LogRecord]:
    # aiosmtpd's own "mail.log" is the test's mail server talking, not strikeops.
    return [r for r in caplog.records if not r.name.startswith("mail.log")]


def _all_log_text(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) for r in records)


def test_refusals_through_a_real_smtp_server_leave_no_personal_data(
        rwe, chris, smtp, caplog, django_capture_on_commit_callbacks) -> None:
    caplog.set_level(logging.DEBUG)
    rows = []
    for i, email in enumerate([REFUSED, DEFERRED, ACCEPTED]):
        r = row(i + 2, email=email, nhs_number=NHS_NUMBERS[i], name="Zebedee Quxworth")
        rows.append(r)
    campaign = make_campaign(rwe, chris, rows)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=campaign, user=chris)
    outcomes = dict(Delivery.objects.filter(campaign=campaign).values_list("recipient__line", "status"))
    assert outcomes == {2: DeliveryStatus.PERMANENT_FAILURE, 3: DeliveryStatus.AWAITING_RETRY, 4: DeliveryStatus.SENT}
    assert smtp.accepted == [ACCEPTED]

    # A subscription whose confirmation is refused, and subscriber emails about a notice, one refused.
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email="refused.first@example.org")
    Subscription.objects.create(trust=rwe, email=SUBSCRIBER_REFUSED, status=SubscriptionStatus.CONFIRMED,
                                confirmed_at=timezone.now())
    notice = notice_create(trust=rwe, user=chris, title="Visiting", body="((trust_name)) is open.",
                           what_to_do="Come as planned.")
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(notice=notice, user=chris)
    refused_row = SubscriberEmail.objects.get(subscription__email=SUBSCRIBER_REFUSED)
    assert refused_row.failure_reason == "The mail server refused the recipient (SMTP 550)"

    errors = [*Delivery.objects.values_list("failure_reason", flat=True),
              *SubscriberEmail.objects.values_list("failure_reason", flat=True),
              *ReminderSent.objects.values_list("error", flat=True)]
    assert "The mail server refused the recipient (SMTP 550)" in errors
    records = _ours(caplog)
    assert any(r.levelno >= logging.WARNING for r in records)  # the refusals were logged...
    text = _all_log_text(records) + "\n" + "\n".join(errors)
    for secret in [*SECRETS, "refused.first"]:
        assert secret not in text, secret  # ...without a single personal detail


def test_the_log_filter_scrubs_what_a_careless_call_would_write() -> None:
    logger = logging.getLogger("strikeops.careless")
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1,
                               "sending to %s (NHS %s, phone %s) failed", (REFUSED, "943 476 5919", "+447700900123"),
                               None)
    try:
        raise ValueError(f"550 5.1.1 <{REFUSED}>: Recipient address rejected")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert PersonalDataLogFilter().filter(record)
    written = logging.Formatter().format(record)
    assert REFUSED not in written and "943 476 5919" not in written and "+447700900123" not in written
    assert "sending to [redacted]" in written and "Recipient address rejected" in written


def test_the_console_handler_has_the_filter(settings) -> None:
    assert "personal_data" in settings.LOGGING["handlers"]["console"]["filters"]


def test_send_failure_reason_has_codes_only() -> None:
    import smtplib

    refused = smtplib.SMTPRecipientsRefused({REFUSED: (550, f"5.1.1 <{REFUSED}>: User unknown".encode())})
    assert send_failure_reason(refused) == "The mail server refused the recipient (SMTP 550)"
    assert send_failure_reason(ValueError(f"bad {REFUSED}")) == "Unexpected error (ValueError)"
    assert scrub(f"to {REFUSED} about Zebedee", "Zebedee") == "to [redacted] about [redacted]"


def test_scrub_keeps_dates_and_durations() -> None:
    assert scrub("Reminder for 2023-04-12 failed after 0.0012345678s") == (
        "Reminder for 2023-04-12 failed after 0.0012345678s")
    assert scrub("call 07700 900123 or 943-476-5919") == "call [redacted] or [redacted]"
