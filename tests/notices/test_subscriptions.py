"""Email subscriptions through a real SMTP server on localhost (aiosmtpd): double opt-in, RFC 8058
one-click unsubscribe, and subscribers emailed exactly once per published version of a notice."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notices.models import (
    DEFAULT_WHAT_TO_DO,
    Notice,
    SubscriberEmail,
    SubscriberEmailKind,
    SubscriberEmailStatus,
    Subscription,
    SubscriptionStatus,
)
from notices.services import subscriber_emails
from notices.services import subscriptions as subscription_service
from notices.services.notices import notice_create, notice_publish, notice_update, notice_withdraw
from notices.services.subscriptions import subscription_request
from notices.tasks import notify_subscribers, send_subscriber_email
from strikeops import public_cache
from tests.notices.delivery_support import recover_later
from tests.smtp_sink import Mailbox, smtp_sink
from trusts.models import AuditEvent, Trust


def _confirmation_sent_minutes_ago(minutes: int) -> None:
    """Move the one subscription's confirmation email back in time (the resend limit counts from it)."""
    sent_at = Subscription.objects.get().confirmation_sent_at
    assert sent_at is not None
    Subscription.objects.update(confirmation_sent_at=sent_at - dt.timedelta(minutes=minutes))


def sending(callbacks: list[Any]) -> list[Any]:
    """The on-commit callbacks that send: a write to a notice also makes the public pages' cache
    stale after commit (strikeops/public_cache.py), which sends nothing."""
    return [c for c in callbacks if c is not public_cache._bump_version]

pytestmark = pytest.mark.django_db
SITE = "https://strikeops.example"
PATIENT = "patient@example.org"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_sink(SITE_URL=SITE) as mailbox:
        yield mailbox


def emails():
    """Outbox rows about notices (the confirmation links are outbox rows too)."""
    return SubscriberEmail.objects.exclude(kind=SubscriberEmailKind.CONFIRMATION)


def text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "every email has a plain-text part"
    content: str = body.get_content()
    return content


def link(message: EmailMessage, path_part: str) -> str:
    match = re.search(rf"{re.escape(SITE)}(/notices/{path_part}/\S+/)", text(message))
    assert match, f"no {path_part} link in:\n{text(message)}"
    return match.group(1)


def one_click_path(message: EmailMessage) -> str:
    header = message["List-Unsubscribe"].strip()  # long headers are folded onto a second line
    match = re.fullmatch(rf"<{re.escape(SITE)}(/notices/unsubscribe/[A-Za-z0-9_-]+/)>", header)
    assert match, header
    return match.group(1)


@pytest.fixture
def subscribed(rwe, smtp, django_capture_on_commit_callbacks) -> Subscription:
    """PATIENT, confirmed for RWE, through the real pages; the mailbox emptied afterwards."""
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notices:subscribe", args=["RWE"]), {"email": PATIENT})
    client.post(link(smtp.messages[-1], "subscriptions/confirm"))
    smtp.messages.clear()
    subscription = Subscription.objects.get(email=PATIENT)
    assert subscription.status == SubscriptionStatus.CONFIRMED
    return subscription


def publish(trust: Trust, user, captured, title: str = "Visiting") -> Notice:
    notice = notice_create(trust=trust, user=user, title=title, body="((trust_name)) is open <as usual>.",
                           what_to_do=DEFAULT_WHAT_TO_DO)
    with captured(execute=True):
        notice_publish(notice=notice, user=user)
    notice.refresh_from_db()
    return notice


# --- Double opt-in --------------------------------------------------------------------------------

def test_subscribing_sends_a_confirmation_and_only_the_link_confirms(client, rwe, smtp,
                                                                      django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notices:subscribe", args=["RWE"]), {"email": "  Patient@Example.ORG "})
    assert response.url == reverse("notices:subscribe_sent", args=["RWE"])
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.status) == (PATIENT, SubscriptionStatus.PENDING)

    [message] = smtp.messages
    assert message["To"] == PATIENT
    assert message["Subject"] == f"Confirm that you want notices from {rwe.name}"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert one_click_path(message) == reverse("notices:unsubscribe", args=[subscription.unsubscribe_token])

    confirm = link(message, "subscriptions/confirm")
    page = client.get(confirm)
    assert page.status_code == 200 and b"Confirm subscription" in page.content
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PENDING, "opening the link (a mail scanner) confirms nothing"

    done = client.post(confirm)
    assert done.status_code == 200 and b"Subscription confirmed" in done.content
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CONFIRMED and subscription.confirmed_at is not None
    assert client.post(confirm).status_code == 200, "confirming twice is harmless"
    assert len(smtp.messages) == 1


def test_a_pending_subscriber_gets_no_notices(rwe, chris, smtp, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
    smtp.messages.clear()
    publish(rwe, chris, django_capture_on_commit_callbacks)
    assert smtp.messages == []
    assert not emails().exists()


def test_the_page_says_the_same_whether_or_not_the_address_is_subscribed(client, subscribed, smtp,
                                                                          django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notices:subscribe", args=["RWE"]), {"email": PATIENT})
    assert response.url == reverse("notices:subscribe_sent", args=["RWE"])
    assert smtp.messages == [], "a confirmed subscriber is not emailed again"


def test_asking_again_soon_does_not_send_another_confirmation(rwe, smtp, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
        subscription_request(trust=rwe, email=PATIENT)
    assert len(smtp.messages) == 1
    _confirmation_sent_minutes_ago(11)
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
    assert len(smtp.messages) == 2


def test_only_the_latest_confirmation_link_works(client, rwe, smtp, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
    old = link(smtp.messages[0], "subscriptions/confirm")
    _confirmation_sent_minutes_ago(11)
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
    assert client.post(old).status_code == 400
    assert client.post(link(smtp.messages[1], "subscriptions/confirm")).status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_a_tampered_or_expired_link_is_refused(client, rwe, smtp, monkeypatch,
                                               django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
    confirm = link(smtp.messages[0], "subscriptions/confirm")
    tampered = client.post(confirm[:-3] + "xx/")
    assert tampered.status_code == 400 and b"This link is not valid" in tampered.content
    monkeypatch.setattr(subscription_service, "CONFIRM_MAX_AGE", dt.timedelta(seconds=-1))
    expired = client.post(confirm)
    assert expired.status_code == 400 and b"This link has expired" in expired.content
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


def test_a_bad_address_is_shown_as_an_error_on_the_trusts_page(client, rwe) -> None:
    response = client.post(reverse("notices:subscribe", args=["RWE"]), {"email": "not an address"})
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error: " in html
    assert "Enter an email address in the correct format, like name@example.com" in html
    assert not Subscription.objects.exists()


def test_the_subscribers_address_never_reaches_the_audit_log(subscribed) -> None:
    events = AuditEvent.objects.filter(event__startswith="subscription.")
    assert {e.event for e in events} == {"subscription.requested", "subscription.confirmed"}
    for event in events:
        assert PATIENT not in event.summary and PATIENT not in str(event.details)


# --- Notices to subscribers ------------------------------------------------------------------------

def test_publishing_emails_each_confirmed_subscriber_once(rwe, chris, subscribed, smtp,
                                                          django_capture_on_commit_callbacks) -> None:
    Subscription.objects.create(email="pending@example.org", trust=rwe)
    Subscription.objects.create(email="gone@example.org", trust=rwe, status=SubscriptionStatus.UNSUBSCRIBED)
    Subscription.objects.create(email="nottingham@example.org", trust=Trust.objects.get(ods_code="RX1"),
                                status=SubscriptionStatus.CONFIRMED, confirmed_at=subscribed.confirmed_at)
    notice = publish(rwe, chris, django_capture_on_commit_callbacks)

    [message] = smtp.messages
    assert message["To"] == PATIENT and message["Subject"] == "Visiting"
    body = text(message)
    assert f"{rwe.name} is open <as usual>." in body, "plain text: nothing escaped or lost"
    assert "call 999 or go to A&E" in body
    assert f"{SITE}{notice.get_absolute_url()}" in body
    assert one_click_path(message) == reverse("notices:unsubscribe", args=[subscribed.unsubscribe_token])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    row = emails().get()
    assert (row.status, row.attempts, row.version_id) == (SubscriberEmailStatus.SENT, 1, notice.current_version_id)

    # The fan-out and the send task run again (a redelivered message, a re-queue): nothing new is sent.
    assert notice.current_version_id is not None
    notify_subscribers.delay(notice.current_version_id)
    notify_subscribers(notice.current_version_id)
    assert send_subscriber_email(row.pk) is None  # not claimed: already sent
    assert len(smtp.messages) == 1
    assert emails().count() == 1


def test_nothing_is_queued_until_the_publication_commits(rwe, chris, subscribed, smtp,
                                                         django_capture_on_commit_callbacks) -> None:
    notice = notice_create(trust=rwe, user=chris, title="Visiting", body="b", what_to_do="w")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice_publish(notice=notice, user=chris)
    callbacks = sending(callbacks)
    assert len(callbacks) == 1
    assert smtp.messages == [] and not emails().exists()
    with django_capture_on_commit_callbacks(execute=True):  # the fan-out, then the send it queues
        callbacks[0]()
    assert len(smtp.messages) == 1


def test_an_update_is_emailed_as_a_new_version(rwe, chris, subscribed, smtp,
                                               django_capture_on_commit_callbacks) -> None:
    notice = publish(rwe, chris, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        notice_update(notice=notice, user=chris, title="Visiting", body="Visiting is back to normal.",
                      what_to_do=DEFAULT_WHAT_TO_DO, action=None, change_note="Visiting hours restored.")
    assert [m["Subject"] for m in smtp.messages] == ["Visiting", "Updated: Visiting"]
    assert "Visiting hours restored." in text(smtp.messages[1])
    assert emails().filter(status=SubscriberEmailStatus.SENT).count() == 2


def test_one_click_unsubscribe_works_without_a_csrf_token(rwe, chris, subscribed, smtp,
                                                          django_capture_on_commit_callbacks) -> None:
    notice = publish(rwe, chris, django_capture_on_commit_callbacks)
    path = one_click_path(smtp.messages[0])
    # What a mail provider sends (RFC 8058 section 3.2): a POST with this body, no cookies, no token.
    mail_provider = Client(enforce_csrf_checks=True)
    response = mail_provider.post(path, "List-Unsubscribe=One-Click",
                                  content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.status == SubscriptionStatus.UNSUBSCRIBED and subscribed.unsubscribed_at is not None
    assert mail_provider.post(path, "List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        notice_update(notice=notice, user=chris, title="Visiting", body="Changed.", what_to_do="w", action=None,
                      change_note="Changed.")
    assert len(smtp.messages) == 1, "no more emails after unsubscribing"


def test_the_unsubscribe_link_opened_in_a_browser_asks_first(client, subscribed) -> None:
    path = reverse("notices:unsubscribe", args=[subscribed.unsubscribe_token])
    page = client.get(path)
    assert page.status_code == 200 and b"<button" in page.content
    subscribed.refresh_from_db()
    assert subscribed.status == SubscriptionStatus.CONFIRMED
    assert client.post(path).status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.status == SubscriptionStatus.UNSUBSCRIBED
    assert AuditEvent.objects.filter(event="subscription.unsubscribed").count() == 1


def test_an_unknown_unsubscribe_token_is_not_found(client, subscribed) -> None:
    assert client.get(reverse("notices:unsubscribe", args=["not-a-token"])).status_code == 404
    assert client.post(reverse("notices:unsubscribe", args=["not-a-token"])).status_code == 404


def test_an_old_confirmation_link_does_not_resubscribe(client, rwe, smtp,
                                                       django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
    confirm = link(smtp.messages[0], "subscriptions/confirm")
    client.post(confirm)
    client.post(one_click_path(smtp.messages[0]))
    assert client.post(confirm).status_code == 400
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED


def test_subscribing_again_after_unsubscribing_starts_a_new_opt_in(client, rwe, subscribed, smtp,
                                                                   django_capture_on_commit_callbacks) -> None:
    old_token = subscribed.unsubscribe_token
    client.post(reverse("notices:unsubscribe", args=[old_token]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notices:subscribe", args=["RWE"]), {"email": PATIENT})
    subscribed.refresh_from_db()
    assert subscribed.status == SubscriptionStatus.PENDING and subscribed.unsubscribe_token != old_token
    client.post(link(smtp.messages[-1], "subscriptions/confirm"))
    subscribed.refresh_from_db()
    assert subscribed.status == SubscriptionStatus.CONFIRMED


# --- Failures --------------------------------------------------------------------------------------

def test_a_temporary_smtp_failure_is_retried_after_the_back_off_and_sent_once(
        rwe, chris, subscribed, smtp, django_capture_on_commit_callbacks, settings) -> None:
    smtp.refuse_data = ["451 4.3.0 Try again later"]
    publish(rwe, chris, django_capture_on_commit_callbacks)
    row = emails().get()
    assert (row.status, row.attempts) == (SubscriberEmailStatus.AWAITING_RETRY, 1)
    assert row.failure_reason == "The mail server answered SMTP 451"
    recover_later(settings.DELIVERY_RETRY_BASE_SECONDS - 5)  # not due yet: nothing happens
    assert emails().get().attempts == 1
    recover_later(settings.DELIVERY_RETRY_BASE_SECONDS)
    row = emails().get()
    assert (row.status, row.attempts) == (SubscriberEmailStatus.SENT, 2)
    assert len(smtp.messages) == 1


def test_a_temporary_failure_that_persists_stops_after_the_attempt_limit(
        rwe, chris, subscribed, smtp, django_capture_on_commit_callbacks, settings) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 3
    smtp.refuse_data = ["451 4.3.0 Try again later"] * 5
    publish(rwe, chris, django_capture_on_commit_callbacks)
    for attempt in range(1, 3):
        recover_later(settings.DELIVERY_RETRY_MAX_SECONDS * attempt)
    row = emails().get()
    assert (row.status, row.attempts) == (SubscriberEmailStatus.PERMANENT_FAILURE, 3)
    assert row.failure_reason == "The mail server answered SMTP 451 (gave up after 3 attempts)"
    assert smtp.messages == []


def test_a_refused_recipient_fails_at_once(rwe, chris, subscribed, smtp,
                                           django_capture_on_commit_callbacks) -> None:
    smtp.refuse_rcpt[PATIENT] = "550 5.1.1 No such user"
    publish(rwe, chris, django_capture_on_commit_callbacks)
    row = emails().get()
    assert (row.status, row.attempts) == (SubscriberEmailStatus.PERMANENT_FAILURE, 1)
    assert row.failure_reason == "The mail server refused the recipient (SMTP 550)"


def test_a_subscriber_who_leaves_before_the_send_is_skipped(rwe, chris, subscribed, smtp,
                                                            django_capture_on_commit_callbacks) -> None:
    notice = notice_create(trust=rwe, user=chris, title="Visiting", body="b", what_to_do="w")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = notice_publish(notice=notice, user=chris)
    subscriber_emails.subscriber_emails_create(version_id=version.pk)
    Subscription.objects.update(status=SubscriptionStatus.UNSUBSCRIBED)
    with django_capture_on_commit_callbacks(execute=True):
        sending(callbacks)[0]()
    row = emails().get()
    assert (row.status, row.failure_reason) == (SubscriberEmailStatus.CANCELLED, "Unsubscribed before sending")
    assert smtp.messages == []


def test_a_notice_withdrawn_before_the_send_is_not_emailed(rwe, chris, subscribed, smtp,
                                                           django_capture_on_commit_callbacks) -> None:
    notice = notice_create(trust=rwe, user=chris, title="Visiting", body="b", what_to_do="w")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice_publish(notice=notice, user=chris)
    notice_withdraw(notice=notice, user=chris, reason="Mistake")
    with django_capture_on_commit_callbacks(execute=True):
        sending(callbacks)[0]()
    row = emails().get(kind=SubscriberEmailKind.NOTICE)
    assert (row.status, row.failure_reason) == (SubscriberEmailStatus.CANCELLED,
                                                "The notice was withdrawn before sending")
    assert smtp.messages == []


def test_a_confirmation_link_is_an_outbox_row_retried_after_a_temporary_failure(
        rwe, smtp, django_capture_on_commit_callbacks, settings) -> None:
    smtp.refuse_data = ["451 4.3.0 Try again later"]
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email=PATIENT)
    row = SubscriberEmail.objects.get(kind=SubscriberEmailKind.CONFIRMATION)
    assert (row.status, row.version_id, row.attempts) == (SubscriberEmailStatus.AWAITING_RETRY, None, 1)
    assert smtp.messages == []
    recover_later(settings.DELIVERY_RETRY_BASE_SECONDS)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (SubscriberEmailStatus.SENT, 2)
    [message] = smtp.messages
    assert message["Subject"] == f"Confirm that you want notices from {rwe.name}"
    assert link(message, "subscriptions/confirm")


def test_a_confirmation_no_longer_needed_is_not_sent(rwe, smtp, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subscription_request(trust=rwe, email=PATIENT)
    Subscription.objects.update(status=SubscriptionStatus.UNSUBSCRIBED)
    callbacks[0]()
    row = SubscriberEmail.objects.get(kind=SubscriberEmailKind.CONFIRMATION)
    assert (row.status, row.failure_reason) == (SubscriberEmailStatus.CANCELLED, "No longer waiting for confirmation")
    assert smtp.messages == []


# --- Withdrawal ------------------------------------------------------------------------------------

def test_withdrawing_a_notice_emails_its_confirmed_subscribers_once_with_the_reason(
        rwe, chris, subscribed, smtp, django_capture_on_commit_callbacks) -> None:
    Subscription.objects.create(email="pending@example.org", trust=rwe)
    Subscription.objects.create(email="gone@example.org", trust=rwe, status=SubscriptionStatus.UNSUBSCRIBED)
    notice = publish(rwe, chris, django_capture_on_commit_callbacks, title="Visiting\nhours")
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notice_withdraw(notice=notice, user=chris, reason="Published for the wrong action.")
    [message] = smtp.messages
    assert message["To"] == PATIENT
    assert message["Subject"] == "Withdrawn: Visiting hours", "a line break never reaches a subject"
    body = text(message)
    assert "has withdrawn a notice" in body and "Why it was withdrawn: Published for the wrong action." in body
    assert f"{SITE}{notice.get_absolute_url()}" in body
    assert one_click_path(message) == reverse("notices:unsubscribe", args=[subscribed.unsubscribe_token])
    row = emails().get(kind=SubscriberEmailKind.WITHDRAWAL)
    assert (row.status, row.attempts, row.subscription_id) == (SubscriberEmailStatus.SENT, 1, subscribed.pk)

    # The fan-out again (a redelivered message) and the recovery task: nothing new is sent.
    assert notice.current_version_id is not None
    notify_subscribers(notice.current_version_id, SubscriberEmailKind.WITHDRAWAL)
    recover_later(3600)
    assert len(smtp.messages) == 1
    assert emails().filter(kind=SubscriberEmailKind.WITHDRAWAL).count() == 1


def test_a_withdrawal_whose_fan_out_was_lost_is_sent_by_the_recovery_task(
        rwe, chris, subscribed, smtp, django_capture_on_commit_callbacks) -> None:
    notice = publish(rwe, chris, django_capture_on_commit_callbacks)
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=False):  # the broker message is lost
        notice_withdraw(notice=notice, user=chris, reason="Mistake")
    assert smtp.messages == []
    recover_later(11 * 60)
    assert [m["Subject"] for m in smtp.messages] == ["Withdrawn: Visiting"]


def test_an_email_that_fails_in_an_unexpected_way_is_never_left_sending(
        rwe, chris, subscribed, smtp, django_capture_on_commit_callbacks, settings) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 2
    with mock.patch("notices.services.subscriber_emails.send_email", side_effect=ValueError("boom")):
        publish(rwe, chris, django_capture_on_commit_callbacks)
        row = emails().get()
        assert (row.status, row.failure_reason) == (SubscriberEmailStatus.AWAITING_RETRY,
                                                    "Unexpected error while sending (ValueError)")
        recover_later(settings.DELIVERY_RETRY_MAX_SECONDS)
    row = emails().get()
    assert row.status == SubscriberEmailStatus.PERMANENT_FAILURE and row.attempts == 2


def test_an_email_left_sending_by_a_dead_worker_is_released_and_sent(
        rwe, chris, subscribed, smtp, django_capture_on_commit_callbacks, settings) -> None:
    notice = notice_create(trust=rwe, user=chris, title="Visiting", body="b", what_to_do="w")
    with django_capture_on_commit_callbacks(execute=False):
        version = notice_publish(notice=notice, user=chris)
    subscriber_emails.subscriber_emails_create(version_id=version.pk)
    # A worker claimed it and died before sending.
    emails().update(status=SubscriberEmailStatus.SENDING, attempts=1, claimed_at=timezone.now())
    recover_later(settings.DELIVERY_SENDING_TIMEOUT_SECONDS - 1)
    assert emails().get().status == SubscriberEmailStatus.SENDING  # might still be sending
    recover_later(settings.DELIVERY_SENDING_TIMEOUT_SECONDS + 1)
    row = emails().get()
    assert (row.status, row.attempts) == (SubscriberEmailStatus.SENT, 2)
    assert len(smtp.messages) == 1
