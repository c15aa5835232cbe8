"""Return reminders: sent at the lead time before the deadline, once per (trust, strike day), never twice.
Each email is an outbox row queued after its reminder commits (tests/trusts/test_reminders_outbox.py
sends them through a real SMTP server, with failures, retries and a dead worker)."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings

from tests.factories import local, make_action, make_return
from trusts.models import ReminderSent, ReminderStatus, Trust, TrustEmail
from trusts.selectors import completeness
from trusts.services import reminders
from trusts.services.reminders import reminders_send_due

# Strike day 11 April 2023's return is due at 11:00 on Wednesday 12 April; the default lead is 2 hours.
BEFORE = local(2023, 4, 12, 8, 59)
DUE = local(2023, 4, 12, 9, 0)


def to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


@pytest.fixture
def april(db):
    return make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])


@pytest.mark.django_db
def test_sent_at_the_lead_time_to_administrators_of_trusts_that_owe_it(april, ada, tom, remind) -> None:
    make_return(april, "RX1", april.first_day)  # Nottingham has submitted
    assert remind(BEFORE).claimed == 0
    assert mail.outbox == []
    with mock.patch("django.utils.timezone.now", return_value=DUE):  # worded when sent: due, not yet overdue
        run = remind(DUE)
    assert run.days == 1
    [message] = to(ada.email)
    assert message.subject == ("Reminder: RWE return for Tuesday 11 April 2023 is due by 11:00 on "
                               "Wednesday 12 April 2023")
    assert "University Hospitals of Leicester NHS Trust (RWE) has not yet submitted" in message.body
    assert to(tom.email) == []
    assert ReminderSent.objects.get(trust__ods_code="RWE").status == ReminderStatus.SENT
    assert not ReminderSent.objects.filter(trust__ods_code="RX1").exists()


@pytest.mark.django_db
def test_never_twice_however_often_beat_ticks(april, ada, remind) -> None:
    first = remind(DUE)
    second = remind(local(2023, 4, 12, 9, 15))
    assert (first.claimed, first.emails) == (1, 1)
    assert (second.claimed, second.emails) == (0, 0)
    assert len(to(ada.email)) == 1
    assert TrustEmail.objects.count() == 1
    # After the deadline nothing is sent either.
    assert remind(local(2023, 4, 12, 11, 0)).days == 0


@pytest.mark.django_db
def test_a_claim_taken_by_another_worker_is_left_alone(april, ada, remind) -> None:
    """The race in slow motion: another worker claims RWE after this run has listed the trusts that owe."""
    listed = completeness.missing_trusts

    def listed_then_claimed_elsewhere(*args, **kwargs):
        queryset = listed(*args, **kwargs)
        ReminderSent.objects.create(trust=Trust.objects.get(ods_code="RWE"), strike_day=april.strike_days.get())
        return queryset

    with mock.patch.object(reminders, "missing_trusts", listed_then_claimed_elsewhere):
        remind(DUE)
    assert to(ada.email) == []
    assert ReminderSent.objects.filter(trust__ods_code="RWE").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_reminder_once(ada) -> None:
    make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])
    barrier = threading.Barrier(2, timeout=30)
    claim = reminders.reminder_claim
    waited = threading.local()

    def claim_together(**kwargs):
        # Both workers have read the same list of trusts that owe; now both try to claim every one.
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return claim(**kwargs)

    runs: list[reminders.ReminderRun] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            runs.append(reminders_send_due(now=DUE))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    with mock.patch.object(reminders, "reminder_claim", claim_together):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not failures
    assert len(to(ada.email)) == 1
    owing = ReminderSent.objects.count()
    assert len(runs) == 2
    # Each trust that owes was recorded once, by one of the two workers: only Leicester has someone to
    # tell, so one reminder was sent and every other trust is recorded as having nobody to email.
    assert owing == sum(r.claimed + r.no_contact for r in runs) > 1
    assert sum(r.emails for r in runs) == sum(r.claimed for r in runs) == 1
    assert sum(r.no_contact for r in runs) == owing - 1
    assert ReminderSent.objects.filter(status=ReminderStatus.SENT).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_is_retried_by_the_outbox_not_by_a_second_reminder(april, ada, remind) -> None:
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("refused")):
        run = remind(DUE)
    assert run.claimed == 1
    reminder = ReminderSent.objects.get(trust__ods_code="RWE")
    assert reminder.status == ReminderStatus.CLAIMED  # still on its way: its email waits for a retry
    email = reminder.emails.get()
    assert (email.status, email.failure_reason) == ("awaiting_retry", "Could not reach the mail server (OSError)")
    remind(local(2023, 4, 12, 9, 15))  # the timer again: no second reminder, no second email row
    assert to(ada.email) == [] and TrustEmail.objects.count() == 1


@pytest.mark.django_db
def test_a_trust_without_administrators_hears_at_its_contact_address(april, remind) -> None:
    Trust.objects.filter(ods_code="RX1").update(contact_email="returns@rx1.example")
    remind(DUE)
    assert len(to("returns@rx1.example")) == 1


@pytest.mark.django_db
def test_the_lead_time_is_a_setting(april, ada, remind) -> None:
    with override_settings(RETURN_REMINDER_LEAD=4):
        remind(local(2023, 4, 12, 7, 0))
    assert len(to(ada.email)) == 1


def test_beat_runs_the_registered_task_every_15_minutes() -> None:
    from strikeops.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["trusts.send_return_reminders"]
    assert entry["schedule"] == 15 * 60
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


@pytest.mark.django_db
def test_the_task_wraps_the_service(april, ada, django_capture_on_commit_callbacks) -> None:
    from trusts.tasks import send_return_reminders

    with mock.patch("trusts.services.reminders.timezone.now", return_value=DUE), \
            django_capture_on_commit_callbacks(execute=True):
        result = send_return_reminders.delay().get()
    assert result["days"] == 1 and result["emails"] == 1
    assert len(to(ada.email)) == 1
