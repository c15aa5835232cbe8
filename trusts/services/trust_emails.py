"""Emails to trusts' staff (return reminders, reopened returns) as rows of the outbox: created with the
reminder or reopening they are about, queued after commit, each sent exactly once by the outbox engine
(claim, send outside any transaction, one outcome write, retries with back-off, recovery of a dead
worker's claim), and what each one says.

Addresses are staff work addresses, shown on the reminder log to managers and the trust; they still
never go into a log line or a broker message (ids only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone

from outbox import engine
from outbox.email import send_email
from outbox.models import CLAIMABLE_STATUSES, PENDING_STATUSES, SUCCESS_STATUSES
from outbox.tasks import outbox_send
from trusts.dates import formatted
from trusts.models import ReminderSent, ReminderStatus, ReturnReopening, StrikeDay, Trust, TrustEmail, TrustEmailKind

# The name this table is registered under (trusts.apps) for the outbox's send and recovery tasks.
TABLE = "trusts.TrustEmail"


def trust_emails_create(*, kind: str, to: Iterable[str], reminder: ReminderSent | None = None,
                        reopening: ReturnReopening | None = None) -> list[int]:
    """One outbox row per address, inside the caller's transaction, each queued once it commits. A
    row that exists already (a second run) is left alone by the unique constraint."""
    now = timezone.now()
    rows = TrustEmail.objects.bulk_create(
        [TrustEmail(kind=kind, to=address, reminder=reminder, reopening=reopening, enqueued_at=now)
         for address in dict.fromkeys(to)], ignore_conflicts=True)
    created = list(TrustEmail.objects.filter(reminder=reminder, reopening=reopening, status__in=CLAIMABLE_STATUSES,
                                             to__in=[r.to for r in rows]).values_list("pk", flat=True))
    for pk in created:
        outbox_send.delay_on_commit(TABLE, pk)
    return created


# --- What the emails say ------------------------------------------------------------------------

def reminder_message(trust: Trust, strike_day: StrikeDay, to: str, now: dt.datetime) -> EmailMessage:
    """A reminder to one person, worded for the time it is sent (due, or already overdue)."""
    when = formatted(strike_day.deadline, "time_on_day")
    day = formatted(strike_day.date, "day")
    overdue = strike_day.deadline <= now
    due = (f"The return was due by {when} and is now overdue. Please submit it as soon as you can: late returns "
           "are accepted, and marked late." if overdue else
           f"The return is due by {when}. Returns submitted after the deadline are accepted but marked late.")
    body = (
        f"{trust.name} ({trust.ods_code}) has not yet submitted its return for {strike_day.action.name}, "
        f"strike day {day}.\n\n{due}\n\n"
        f"Sign in to {settings.SERVICE_NAME} and choose Returns to submit it. If the action had no impact on "
        "your trust that day, submit a nil return (0, confirmed).\n\n"
        "You are receiving this because you are a trust administrator for this trust, or this is the "
        "trust's contact address for returns.\n"
    )
    subject = (f"Overdue: {trust.ods_code} return for {day} was due by {when}" if overdue
               else f"Reminder: {trust.ods_code} return for {day} is due by {when}")
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])


def reopening_banner_text(reopening: ReturnReopening) -> str:
    """What the trust's email says about a reopening in force."""
    return (f"Your returns for {reopening.action.name} are reopened until "
            f"{formatted(reopening.closes_at, 'time_on_day')}, so you can correct them.")


def reopening_message(reopening: ReturnReopening, to: str) -> EmailMessage:
    body = (f"{reopening_banner_text(reopening)}\n\n"
            f"NHS England's reason: {reopening.reason}\n\n"
            f"Sign in to {settings.SERVICE_NAME} and choose Returns to change a figure. Each change needs a "
            "reason. After that time the returns lock again.\n\n"
            "You are receiving this because you are a trust administrator for this trust.\n")
    subject = f"{reopening.trust.ods_code} returns for {reopening.action.name} reopened"
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])


def _message(row: TrustEmail) -> EmailMessage:
    if row.kind == TrustEmailKind.REMINDER:
        assert row.reminder is not None  # a database constraint
        return reminder_message(row.reminder.trust, row.reminder.strike_day, row.to, timezone.now())
    assert row.reopening is not None
    return reopening_message(row.reopening, row.to)


# --- Sending --------------------------------------------------------------------------------------

def trust_email_send(email_id: int) -> str | None:
    """Send one row through the outbox engine (the registered sender of TABLE), then settle its
    reminder if it was the last one pending. Returns the status recorded, or None if this call did
    nothing (another run holds or has finished the row, or it is not due)."""
    row = (TrustEmail.objects.select_related("reminder__trust", "reminder__strike_day__action",
                                             "reopening__trust", "reopening__action")
           .filter(pk=email_id, status__in=CLAIMABLE_STATUSES).first())
    if row is None:
        return None
    # send_email looked up at call time: tests replace it.
    status = engine.send_one(TrustEmail, row, lambda: send_email(_message(row)), label=f"Trust email {row.pk}")
    if row.reminder_id is not None and status not in (None, *PENDING_STATUSES):
        reminder_settle(reminder_id=row.reminder_id)
    return status


def reminder_settle(*, reminder_id: int) -> str | None:
    """A reminder whose emails all have an outcome: `sent` if anyone got it (recipient_count says
    how many, sent_at when the last went), else `failed` with the first email's reason. Only a
    `claimed` reminder moves, under its row lock, so this is safe to run any number of times (each
    email's send runs it; the recovery task runs it for any the sends missed). Returns the new status,
    or None if the reminder is still waiting or was settled already."""
    with transaction.atomic():
        reminder = ReminderSent.objects.select_for_update().filter(pk=reminder_id,
                                                                   status=ReminderStatus.CLAIMED).first()
        if reminder is None:
            return None
        emails = TrustEmail.objects.filter(reminder_id=reminder_id)
        counts = emails.aggregate(pending=Count("pk", filter=Q(status__in=PENDING_STATUSES)),
                                  reached=Count("pk", filter=Q(status__in=SUCCESS_STATUSES)),
                                  last=Max("sent_at"))
        if counts["pending"]:
            return None
        if counts["reached"]:
            reminder.status, reminder.recipient_count, reminder.sent_at = (
                ReminderStatus.SENT, counts["reached"], counts["last"])
        else:
            reminder.status = ReminderStatus.FAILED
            reminder.error = (emails.exclude(failure_reason="").order_by("pk")
                              .values_list("failure_reason", flat=True).first() or "Not sent")
        reminder.save(update_fields=["status", "recipient_count", "sent_at", "error"])
    return reminder.status


def trust_emails_recover() -> dict[str, int]:
    """The trusts' part of the outbox recovery (registered in trusts.apps): claims left by dead
    workers, due retries and lost broker messages of TrustEmail rows, queued again; and reminders
    whose last email's outcome was written by a worker that died before settling the reminder."""
    report = engine.recover_table(TrustEmail, now=timezone.now(),
                                  queue=lambda pk: outbox_send.delay_on_commit(TABLE, pk))
    pending = TrustEmail.objects.filter(reminder_id=OuterRef("pk"), status__in=PENDING_STATUSES)
    unsettled = (ReminderSent.objects.filter(status=ReminderStatus.CLAIMED).filter(~Exists(pending))
                 .filter(Exists(TrustEmail.objects.filter(reminder_id=OuterRef("pk"))))
                 .values_list("pk", flat=True)[:10_000])
    settled = sum(reminder_settle(reminder_id=pk) is not None for pk in list(unsettled))
    return {"trust_emails_released": report["released"], "trust_emails_requeued": report["requeued"],
            "reminders_settled": settled}
