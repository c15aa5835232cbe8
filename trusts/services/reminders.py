"""Reminders to trusts that still owe a return: by the timer shortly before the deadline, and by a
manager who chases now from the missing-returns page.

The timer claims each (trust, strike day) with a ReminderSent row before anything is sent: the
conditional unique constraint makes the claim atomic across beat ticks and workers, so the timer
reminds a trust at most once a day. In the same transaction each person to tell gets an outbox row
(trusts.services.trust_emails: one TrustEmail per address), queued after commit and sent exactly once
by the outbox engine, temporary failures retried. A reminder is `sent` only when an email went to at
least one person (reminder_settle, once every email has an outcome); a trust with nobody to email is
recorded as `no_contact`, shown as such to managers, and is reminded (by the timer, or by a manager)
once it has a contact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from strikeops.errors import ServiceError
from trusts.dates import formatted
from trusts.models import (
    IndustrialAction,
    ReminderSent,
    ReminderStatus,
    ReminderTrigger,
    StrikeDay,
    Trust,
    TrustEmailKind,
    User,
)
from trusts.selectors.completeness import missing_trusts
from trusts.services.audit import audit_record
from trusts.services.trust_emails import trust_emails_create

# A second "send a reminder now" for the same trust and day within this time is refused: a double
# click, or two managers chasing at once, must not send the trust two emails.
RESEND_AFTER = dt.timedelta(minutes=10)


class ReminderError(ServiceError):
    """A manager's reminder that cannot be sent; the message says why, in words for the page."""


@dataclass
class ReminderRun:
    days: int = 0
    claimed: int = 0  # reminders with someone to email: their emails are queued
    emails: int = 0  # emails queued (one per person)
    no_contact: int = 0
    skipped: int = 0  # a manager's run: reminded a moment ago


def reminder_lead() -> dt.timedelta:
    return dt.timedelta(hours=settings.RETURN_REMINDER_LEAD)


def reminder_recipients(trust: Trust) -> list[str]:
    """Whom a reminder goes to: the trust's active administrators, or else its published contact
    address; empty when the trust has nobody to email. `trust.administrator_memberships` must be
    prefetched (completeness.trust_administrators, as missing_trusts does)."""
    emails = [m.user.email for m in trust.administrator_memberships]  # type: ignore[attr-defined]
    return emails or ([trust.contact_email] if trust.contact_email else [])


def strike_days_due_reminders(now: dt.datetime) -> list[StrikeDay]:
    """Strike days whose deadline is within the lead time and not yet passed."""
    return list(StrikeDay.objects.filter(deadline__gt=now, deadline__lte=now + reminder_lead())
                .select_related("action").order_by("deadline", "pk"))


def reminder_claim(*, trust: Trust, strike_day: StrikeDay, recipients: list[str]) -> ReminderSent | None:
    """The timer's claim on (trust, strike day) and its emails (one outbox row per person, queued
    after commit), committed together; None when another run got there first. For a trust with
    nobody to email the row is created as `no_contact` (nothing to send).

    A `no_contact` row is taken back with a conditional UPDATE once the trust has someone to email,
    so that trust is reminded after all (once: only one run's UPDATE matches the row)."""
    status = ReminderStatus.CLAIMED if recipients else ReminderStatus.NO_CONTACT
    try:
        with transaction.atomic():
            row = ReminderSent.objects.create(trust=trust, strike_day=strike_day, status=status,
                                              recipients=recipients)
            trust_emails_create(kind=TrustEmailKind.REMINDER, to=recipients, reminder=row)
    except IntegrityError:
        if not recipients:
            return None
        with transaction.atomic():
            waiting = ReminderSent.objects.filter(trust=trust, strike_day=strike_day, trigger=ReminderTrigger.TIMER,
                                                  status=ReminderStatus.NO_CONTACT)
            if waiting.update(status=ReminderStatus.CLAIMED, claimed_at=timezone.now(), recipients=recipients) != 1:
                return None
            row = ReminderSent.objects.get(trust=trust, strike_day=strike_day, trigger=ReminderTrigger.TIMER)
            trust_emails_create(kind=TrustEmailKind.REMINDER, to=recipients, reminder=row)
    return row


def reminders_send_due(*, now: dt.datetime | None = None) -> ReminderRun:
    """Queue the reminders that are due now. Safe to run at any time, any number of times."""
    now = now or timezone.now()
    run = ReminderRun()
    for strike_day in strike_days_due_reminders(now):
        run.days += 1
        done = ReminderSent.objects.filter(strike_day=strike_day, trigger=ReminderTrigger.TIMER).exclude(
            status=ReminderStatus.NO_CONTACT)
        # Read the list once; another run may claim some of these trusts meanwhile, which the claim catches.
        owing = list(missing_trusts(strike_day.action, strike_day.date).exclude(pk__in=done.values("trust_id")))
        for trust in owing:
            recipients = reminder_recipients(trust)
            claim = reminder_claim(trust=trust, strike_day=strike_day, recipients=recipients)
            if claim is None:
                continue
            if claim.status == ReminderStatus.NO_CONTACT:
                run.no_contact += 1
                continue
            run.claimed += 1
            run.emails += len(recipients)
    return run


def reminder_send_now(*, trust: Trust, strike_day: StrikeDay, user: User, now: dt.datetime | None = None,
                      request: HttpRequest | None = None) -> ReminderSent:
    """A manager's reminder to one trust for one strike day, now. Recorded in the reminder log and the
    audit log whatever happens: sent (to whom), failed, or not sent because nobody can be emailed."""
    now = now or timezone.now()
    trust = missing_trusts(strike_day.action, strike_day.date).filter(pk=trust.pk).first()  # type: ignore[assignment]
    if trust is None:
        raise ReminderError("That trust has submitted its return for this day: there is nothing to chase")
    return _remind(trust=trust, strike_day=strike_day, user=user, now=now, request=request)


def _recently_reminded(trust: Trust, strike_day: StrikeDay, now: dt.datetime) -> ReminderSent | None:
    return (ReminderSent.objects.filter(trust=trust, strike_day=strike_day, claimed_at__gt=now - RESEND_AFTER,
                                        status__in=[ReminderStatus.CLAIMED, ReminderStatus.SENT])
            .order_by("-claimed_at").first())


def _remind(*, trust: Trust, strike_day: StrikeDay, user: User, now: dt.datetime,
            request: HttpRequest | None) -> ReminderSent:
    """The reminder row and its emails (queued after commit), audited: `reminder.sent` when it is on
    its way to someone, `reminder.no_contact` when nobody can be emailed. Each email's outcome is
    the reminder log's."""
    day = formatted(strike_day.date, "date")
    recipients = reminder_recipients(trust)
    with transaction.atomic():
        # The trust's row lock makes "reminded a moment ago?" and the new row one step: of two managers
        # chasing the same trust at once, the second sees the first's reminder.
        Trust.objects.select_for_update().filter(pk=trust.pk).values_list("pk", flat=True).first()
        recent = _recently_reminded(trust, strike_day, now)
        if recent is not None:
            raise ReminderError(f"{trust.name} was reminded about {day} at {formatted(recent.claimed_at, 'time')}; "
                                f"wait {RESEND_AFTER.seconds // 60} minutes before reminding it again")
        row = ReminderSent.objects.create(
            trust=trust, strike_day=strike_day, trigger=ReminderTrigger.MANAGER, sent_by=user, recipients=recipients,
            status=ReminderStatus.CLAIMED if recipients else ReminderStatus.NO_CONTACT)
        trust_emails_create(kind=TrustEmailKind.REMINDER, to=recipients, reminder=row)
        if recipients:
            people = f"{len(recipients)} {'person' if len(recipients) == 1 else 'people'}"
            audit_record(event="reminder.sent", summary=f"Reminder sent to {trust.ods_code} for {day} ({people})",
                         actor=user, trust=trust, target=row, request=request,
                         details={"action": strike_day.action.slug, "date": strike_day.date.isoformat(),
                                  "recipients": len(recipients)})
        else:
            audit_record(event="reminder.no_contact", summary=f"Reminder to {trust.ods_code} for {day} not sent: "
                         "nobody to email", actor=user, trust=trust, target=row, request=request,
                         details={"action": strike_day.action.slug, "date": strike_day.date.isoformat(),
                                  "recipients": 0})
    # The emails were queued on commit (and, where tasks run in-process, sent already).
    row.refresh_from_db()
    return row


def overdue_days(action: IndustrialAction, now: dt.datetime) -> list[StrikeDay]:
    return list(StrikeDay.objects.filter(action=action, deadline__lte=now).select_related("action").order_by("date"))


def reminders_send_overdue(*, action: IndustrialAction, trusts: QuerySet[Trust], user: User,
                           now: dt.datetime | None = None, request: HttpRequest | None = None) -> ReminderRun:
    """A manager's "remind every overdue trust": each trust in `trusts` (the manager's scope) that has
    not submitted a strike day whose deadline has passed, one reminder per (trust, day)."""
    now = now or timezone.now()
    run = ReminderRun()
    for strike_day in overdue_days(action, now):
        run.days += 1
        for trust in list(missing_trusts(action, strike_day, trusts)):
            try:
                row = _remind(trust=trust, strike_day=strike_day, user=user, now=now, request=request)
            except ReminderError:
                run.skipped += 1
                continue
            if row.status == ReminderStatus.NO_CONTACT:
                run.no_contact += 1
            else:
                run.claimed += 1
                run.emails += len(row.recipients)
    return run
