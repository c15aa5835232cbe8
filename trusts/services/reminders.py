"""Reminders to trusts that still owe a return: by the timer shortly before the deadline, and by a
manager who chases now from the missing-returns page.

The timer claims each (trust, strike day) with a ReminderSent row before anything is sent: the
conditional unique constraint makes the claim atomic across beat ticks and workers, so the timer
reminds a trust at most once a day. A reminder is `sent` only when an email went to at least one
person; a trust with nobody to email is recorded as `no_contact`, shown as such to managers, and is
reminded (by the timer, or by a manager) once it has a contact.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from strikeops.errors import ServiceError
from strikeops.redaction import send_failure_reason
from trusts.dates import formatted
from trusts.models import (
    IndustrialAction,
    ReminderSent,
    ReminderStatus,
    ReminderTrigger,
    StrikeDay,
    Trust,
    User,
)
from trusts.selectors.completeness import missing_trusts
from trusts.services.audit import audit_record

logger = logging.getLogger(__name__)

# A second "send a reminder now" for the same trust and day within this time is refused: a double
# click, or two managers chasing at once, must not send the trust two emails.
RESEND_AFTER = dt.timedelta(minutes=10)


class ReminderError(ServiceError):
    """A manager's reminder that cannot be sent; the message says why, in words for the page."""


@dataclass
class ReminderRun:
    days: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
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


def reminder_claim(*, trust: Trust, strike_day: StrikeDay, has_contact: bool = True) -> ReminderSent | None:
    """The timer's claim on (trust, strike day), committed on its own; None when another run got there
    first. For a trust with nobody to email the row is created as `no_contact` (nothing to send).

    A `no_contact` row is taken back with a conditional UPDATE once the trust has someone to email,
    so that trust is reminded after all (once: only one run's UPDATE matches the row)."""
    status = ReminderStatus.CLAIMED if has_contact else ReminderStatus.NO_CONTACT
    try:
        with transaction.atomic():
            row = ReminderSent.objects.create(trust=trust, strike_day=strike_day, status=status)
    except IntegrityError:
        if not has_contact:
            return None
        waiting = ReminderSent.objects.filter(trust=trust, strike_day=strike_day, trigger=ReminderTrigger.TIMER,
                                              status=ReminderStatus.NO_CONTACT)
        if waiting.update(status=ReminderStatus.CLAIMED, claimed_at=timezone.now()) != 1:
            return None
        return ReminderSent.objects.get(trust=trust, strike_day=strike_day, trigger=ReminderTrigger.TIMER)
    return row


def _message(trust: Trust, strike_day: StrikeDay, to: str, now: dt.datetime) -> EmailMessage:
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


def _deliver(claim: ReminderSent, trust: Trust, strike_day: StrikeDay, recipients: list[str],
             now: dt.datetime) -> str:
    """Send outside any transaction and record the outcome on the claimed row; the status it ends in."""
    try:
        with get_connection() as connection:
            # One message per person: administrators of a trust need not see each other's addresses.
            connection.send_messages([_message(trust, strike_day, to, now) for to in recipients])
    except Exception as exc:  # any transport failure is recorded; the row stays, so no resend
        logger.exception("Reminder to %s for %s failed", trust.ods_code, strike_day.date)
        ReminderSent.objects.filter(pk=claim.pk).update(status=ReminderStatus.FAILED,
                                                        error=send_failure_reason(exc)[:500],
                                                        recipients=recipients)
        return ReminderStatus.FAILED
    ReminderSent.objects.filter(pk=claim.pk).update(
        status=ReminderStatus.SENT, sent_at=timezone.now(), recipient_count=len(recipients), recipients=recipients)
    return ReminderStatus.SENT


def _count(run: ReminderRun, status: str) -> None:
    if status == ReminderStatus.SENT:
        run.sent += 1
    elif status == ReminderStatus.FAILED:
        run.failed += 1
    elif status == ReminderStatus.NO_CONTACT:
        run.no_contact += 1


def reminders_send_due(*, now: dt.datetime | None = None) -> ReminderRun:
    """Send the reminders that are due now. Safe to run at any time, any number of times."""
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
            claim = reminder_claim(trust=trust, strike_day=strike_day, has_contact=bool(recipients))
            if claim is None:
                continue
            if claim.status == ReminderStatus.NO_CONTACT:
                run.no_contact += 1
                continue
            run.claimed += 1
            _count(run, _deliver(claim, trust, strike_day, recipients, now))
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
            trust=trust, strike_day=strike_day, trigger=ReminderTrigger.MANAGER, sent_by=user,
            status=ReminderStatus.CLAIMED if recipients else ReminderStatus.NO_CONTACT)
    status = _deliver(row, trust, strike_day, recipients, now) if recipients else ReminderStatus.NO_CONTACT
    summaries: dict[str, str] = {
        ReminderStatus.SENT: f"Reminder sent to {trust.ods_code} for {day} ({len(recipients)} "
                             f"{'person' if len(recipients) == 1 else 'people'})",
        ReminderStatus.FAILED: f"Reminder to {trust.ods_code} for {day} failed to send",
        ReminderStatus.NO_CONTACT: f"Reminder to {trust.ods_code} for {day} not sent: nobody to email",
    }
    summary = summaries[status]
    audit_record(event=f"reminder.{status}", summary=summary, actor=user, trust=trust, target=row, request=request,
                 details={"action": strike_day.action.slug, "date": strike_day.date.isoformat(),
                          "recipients": len(recipients)})
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
            _count(run, row.status)
    return run
