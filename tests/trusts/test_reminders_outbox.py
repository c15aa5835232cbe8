"""Reminders and the reopening email go through the one outbox, like campaign messages: through a real
SMTP server (aiosmtpd), each arrives once; a temporary failure is retried after the back-off; a
refusal is recorded; and an email a worker claimed but never recorded (it died mid-send) is released
by the recovery task, sent again once and recorded as possibly duplicated (docs/delivery.md)."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
from collections.abc import Iterator
from unittest import mock

import pytest
from django.utils import timezone

from outbox import registry
from outbox.models import OutboxStatus
from outbox.tasks import outbox_recover, outbox_send
from tests.factories import local, make_action
from tests.notices.delivery_support import run_task
from tests.smtp_sink import Mailbox, smtp_sink
from trusts.models import ReminderSent, ReminderStatus, ReturnReopening, Trust, TrustEmail, TrustEmailKind
from trusts.services.reminders import reminders_send_due
from trusts.services.reopenings import returns_reopen
from trusts.services.trust_emails import TABLE

pytestmark = pytest.mark.django_db

# Strike day 11 April 2023: its return is due at 11:00 on Wednesday 12 April (lead time 2 hours).
DUE = local(2023, 4, 12, 9, 0)


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_sink() as mailbox:
        yield mailbox


@pytest.fixture
def april(db):
    return make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])


def remind(captured, *, execute: bool = True) -> None:
    with captured(execute=execute):
        reminders_send_due(now=DUE)


def recover_later(seconds: int) -> dict[str, int]:
    """The outbox recovery task (beat) run `seconds` from now."""
    later = timezone.now() + dt.timedelta(seconds=seconds)
    with mock.patch("django.utils.timezone.now", return_value=later), \
            mock.patch("trusts.clock.now", return_value=later):
        return run_task(outbox_recover)


def rwe_reminder() -> ReminderSent:
    return ReminderSent.objects.get(trust__ods_code="RWE")


def test_a_reminder_arrives_once_through_a_real_smtp_server(april, ada, smtp,
                                                            django_capture_on_commit_callbacks) -> None:
    Trust.objects.filter(ods_code="RWE").update(contact_email="returns@rwe.example")  # administrators first
    remind(django_capture_on_commit_callbacks)
    [message] = smtp.messages
    assert message["To"] == ada.email
    # Worded when it is sent (today, long after that deadline).
    assert message["Subject"].startswith("Overdue: RWE return for Tuesday 11 April 2023 was due by 11:00")
    reminder = rwe_reminder()
    assert (reminder.status, reminder.recipient_count, reminder.recipients) == (ReminderStatus.SENT, 1, [ada.email])
    email = reminder.emails.get()
    assert (email.kind, email.status, email.attempts, email.to) == (TrustEmailKind.REMINDER, OutboxStatus.SENT, 1,
                                                                   ada.email)
    # The send task again (a redelivered broker message), the timer again, the recovery task: nothing more.
    assert outbox_send.delay(TABLE, email.pk).get() is None
    remind(django_capture_on_commit_callbacks)
    recover_later(3600)
    assert len(smtp.messages) == 1


def test_the_reopening_email_arrives_once_through_a_real_smtp_server(nia, ada, smtp,
                                                                     django_capture_on_commit_callbacks) -> None:
    action = make_action(affected=["RWE"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reopening = returns_reopen(action=action, trust=Trust.objects.get(ods_code="RWE"), user=nia,
                                   reason="Outpatient figures were doubled")
    assert smtp.messages == [] and TrustEmail.objects.get().status == OutboxStatus.QUEUED  # a row before the commit
    for callback in callbacks:
        callback()
    [message] = smtp.messages
    assert message["To"] == ada.email
    assert "NHS England's reason: Outpatient figures were doubled" in message.get_content()
    row = TrustEmail.objects.get(reopening=reopening)
    assert (row.kind, row.status, row.attempts) == (TrustEmailKind.REOPENING, OutboxStatus.SENT, 1)
    assert ReturnReopening.objects.get().notified_at is not None
    assert outbox_send.delay(TABLE, row.pk).get() is None
    recover_later(3600)
    assert len(smtp.messages) == 1


def test_a_temporary_smtp_failure_is_retried_after_the_back_off_and_sent_once(
        april, ada, smtp, settings, django_capture_on_commit_callbacks) -> None:
    smtp.refuse_data = ["451 4.3.0 Try again later"]
    remind(django_capture_on_commit_callbacks)
    email = rwe_reminder().emails.get()
    assert (email.status, email.attempts, email.failure_reason) == (
        OutboxStatus.AWAITING_RETRY, 1, "The mail server answered SMTP 451")
    assert rwe_reminder().status == ReminderStatus.CLAIMED  # the log says "Sending" meanwhile
    recover_later(settings.DELIVERY_RETRY_BASE_SECONDS - 5)  # not due yet
    assert rwe_reminder().emails.get().attempts == 1 and smtp.messages == []
    recover_later(settings.DELIVERY_RETRY_BASE_SECONDS)
    email.refresh_from_db()
    assert (email.status, email.attempts, email.possibly_duplicated) == (OutboxStatus.SENT, 2, False)
    assert [m["To"] for m in smtp.messages] == [ada.email]
    reminder = rwe_reminder()
    assert (reminder.status, reminder.recipient_count) == (ReminderStatus.SENT, 1)


def test_a_refused_address_fails_the_reminder_with_a_reason_and_no_address(
        april, ada, smtp, django_capture_on_commit_callbacks) -> None:
    smtp.refuse_rcpt[ada.email] = f"550 5.1.1 <{ada.email}>: Recipient address rejected: User unknown"
    remind(django_capture_on_commit_callbacks)
    email = rwe_reminder().emails.get()
    assert (email.status, email.attempts) == (OutboxStatus.PERMANENT_FAILURE, 1)
    reminder = rwe_reminder()
    assert (reminder.status, reminder.error) == (ReminderStatus.FAILED,
                                                 "The mail server refused the recipient (SMTP 550)")
    assert recover_later(3600)["reminders_settled"] == 0 and smtp.messages == []


def test_a_reminder_claimed_by_a_worker_that_died_is_recovered_and_sent_once(
        april, ada, smtp, settings, django_capture_on_commit_callbacks) -> None:
    remind(django_capture_on_commit_callbacks, execute=False)  # the rows commit; the worker takes the message...
    # ...claims the email and is killed before recording an outcome (it may or may not have sent it).
    TrustEmail.objects.update(status=OutboxStatus.SENDING, attempts=1, claimed_at=timezone.now())
    report = recover_later(settings.DELIVERY_SENDING_TIMEOUT_SECONDS - 1)
    assert report["trust_emails_released"] == 0 and smtp.messages == []  # it might still be sending
    report = recover_later(settings.DELIVERY_SENDING_TIMEOUT_SECONDS + 1)
    assert report["trust_emails_released"] == 1
    email = rwe_reminder().emails.get()
    # SMTP cannot be asked whether it had the first copy: sent again, once, and said to be possibly duplicated.
    assert (email.status, email.attempts, email.possibly_duplicated, email.outcome_unknown) == (
        OutboxStatus.SENT, 2, True, False)
    assert [m["To"] for m in smtp.messages] == [ada.email]
    assert rwe_reminder().status == ReminderStatus.SENT
    recover_later(3600)
    assert len(smtp.messages) == 1


def test_a_reminder_whose_settling_was_lost_is_settled_by_the_recovery_task(
        april, ada, smtp, django_capture_on_commit_callbacks) -> None:
    """The worker recorded the email's outcome and died before settling its reminder."""
    with mock.patch("trusts.services.trust_emails.reminder_settle"):
        remind(django_capture_on_commit_callbacks)
    assert rwe_reminder().status == ReminderStatus.CLAIMED
    assert recover_later(1)["reminders_settled"] == 1
    assert rwe_reminder().status == ReminderStatus.SENT and len(smtp.messages) == 1


def test_the_outbox_imports_neither_app_and_recovers_every_table() -> None:
    for path in pathlib.Path("outbox").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.split(".")[0] in ("trusts", "notices")], path
    assert set(registry.registered()) == {"notices", TABLE}
