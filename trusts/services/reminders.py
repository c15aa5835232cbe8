"""Reminders to trusts that still owe a return shortly before its deadline.

Each (trust, strike day) is claimed with a ReminderSent row before anything is sent: the unique
constraint makes the claim atomic across beat ticks and workers, so a reminder goes at most once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from trusts.models import ReminderSent, ReminderStatus, StrikeDay, Trust
from trusts.selectors.completeness import missing_trusts
from trusts.strike_calendar import LONDON

logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    days: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0


def reminder_lead() -> dt.timedelta:
    return dt.timedelta(hours=settings.RETURN_REMINDER_LEAD)


def strike_days_due_reminders(now: dt.datetime) -> list[StrikeDay]:
    """Strike days whose deadline is within the lead time and not yet passed."""
    return list(StrikeDay.objects.filter(deadline__gt=now, deadline__lte=now + reminder_lead())
                .select_related("action").order_by("deadline", "pk"))


def reminder_claim(*, trust: Trust, strike_day: StrikeDay) -> ReminderSent | None:
    """Insert the claim row, committed on its own; None when another run got there first."""
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(trust=trust, strike_day=strike_day)
    except IntegrityError:
        return None


def _recipients(trust: Trust) -> list[str]:
    emails = [m.user.email for m in trust.administrator_memberships]  # type: ignore[attr-defined]
    # A trust without an administrator yet still hears about it, at its published contact address.
    return emails or ([trust.contact_email] if trust.contact_email else [])


def _message(trust: Trust, strike_day: StrikeDay, to: str) -> EmailMessage:
    deadline = strike_day.deadline.astimezone(LONDON)
    when = f"{deadline:%H:%M} on {deadline:%A} {deadline.day} {deadline:%B %Y}"
    day = f"{strike_day.date:%A} {strike_day.date.day} {strike_day.date:%B %Y}"
    body = (
        f"{trust.name} ({trust.ods_code}) has not yet submitted its return for {strike_day.action.name}, "
        f"strike day {day}.\n\n"
        f"The return is due by {when}. Returns submitted after the deadline are accepted but marked late.\n\n"
        f"Sign in to {settings.SERVICE_NAME} and choose Returns to submit it. If the action had no impact on "
        "your trust that day, submit a nil return (0, confirmed).\n\n"
        "You are receiving this because you are a trust administrator for this trust.\n"
    )
    return EmailMessage(
        subject=f"Reminder: {trust.ods_code} return for {day} is due by {when}",
        body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
    )


def reminders_send_due(*, now: dt.datetime | None = None) -> ReminderRun:
    """Send the reminders that are due now. Safe to run at any time, any number of times."""
    now = now or timezone.now()
    run = ReminderRun()
    for strike_day in strike_days_due_reminders(now):
        run.days += 1
        # Read the list once; another run may claim some of these trusts meanwhile, which the claim catches.
        owing = list(missing_trusts(strike_day.action, strike_day.date).exclude(reminders__strike_day=strike_day))
        for trust in owing:
            claim = reminder_claim(trust=trust, strike_day=strike_day)
            if claim is None:
                continue
            run.claimed += 1
            recipients = _recipients(trust)
            try:
                with get_connection() as connection:
                    # One message per person: administrators of a trust need not see each other's addresses.
                    connection.send_messages([_message(trust, strike_day, to) for to in recipients])
            except Exception as exc:  # any transport failure is recorded; the claim stays, so no resend
                logger.exception("Reminder to %s for %s failed", trust.ods_code, strike_day.date)
                ReminderSent.objects.filter(pk=claim.pk).update(status=ReminderStatus.FAILED, error=str(exc)[:500])
                run.failed += 1
                continue
            ReminderSent.objects.filter(pk=claim.pk).update(
                status=ReminderStatus.SENT, sent_at=timezone.now(), recipient_count=len(recipients))
            run.sent += 1
    return run
