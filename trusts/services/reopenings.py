"""Reopening one trust's locked returns for an action, and closing a reopening early.

The returns side decides locks: after the hard close a return may be edited only while an open
reopening exists for its action and trust (closes_at in the future, not closed early). The email
to the trust's administrators is trusts/services/reopening_emails.py, run by a task queued here."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from strikeops.errors import ServiceError
from trusts.dates import formatted
from trusts.models import IndustrialAction, ReturnReopening, Trust, User
from trusts.services.audit import audit_record
from trusts.strike_calendar import LONDON, add_working_days, end_of_day
from trusts.tasks import send_reopening_email

REOPEN_WORKING_DAYS = 2



class ReopeningRefused(ServiceError):
    """Returns that cannot be reopened (or a reopening that cannot be closed); the message says why."""

def default_reopening_closes_at(now: dt.datetime) -> dt.datetime:
    """The end of the second working day from now (today counts as day 0)."""
    return end_of_day(add_working_days(now.astimezone(LONDON).date(), REOPEN_WORKING_DAYS))


def open_reopenings(*, now: dt.datetime | None = None) -> QuerySet[ReturnReopening]:
    now = now or timezone.now()
    return ReturnReopening.objects.filter(closes_at__gt=now, closed_early_at__isnull=True)


def returns_reopen(
    *,
    action: IndustrialAction,
    trust: Trust,
    user: User,
    reason: str,
    closes_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ReturnReopening:
    """Let one trust correct its returns for a locked action until closes_at.
    The caller has checked that the user manages the trust. Raises ReopeningRefused (messages by field)."""
    now = now or timezone.now()
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Enter why the returns are being reopened"]
    locks_at = action.locks_at
    if locks_at is None or locks_at > now:
        when = f" (they lock at the end of {formatted(action.hard_close, 'date')})" \
            if action.hard_close else ""
        errors.setdefault("__all__", []).append(f"Returns for {action.name} are not locked yet{when}, "
                                                "so there is nothing to reopen")
    closes_at = closes_at or default_reopening_closes_at(now)
    if closes_at <= now:
        errors["closes_at"] = ["The reopening must end in the future"]
    if errors:
        raise ReopeningRefused(errors=errors)
    with transaction.atomic():
        # Lock the trust's row so that two managers reopening at once do not both succeed.
        Trust.objects.select_for_update().get(pk=trust.pk)
        current = open_reopenings(now=now).filter(action=action, trust=trust).first()
        if current is not None:
            raise ReopeningRefused(errors={"__all__": [
                f"{trust.name}'s returns are already reopened until "
                f"{formatted(current.closes_at, 'time_on_date')}; close that reopening first"]})
        reopening = ReturnReopening.objects.create(action=action, trust=trust, reopened_by=user, reason=reason,
                                                   closes_at=closes_at)
        audit_record(event="returns.reopened",
                     summary=f"Reopened {trust.ods_code} returns for {action.name}",
                     actor=user, trust=trust, target=reopening,
                     details={"action": action.slug, "reason": reason, "closes_at": closes_at.isoformat()})
        # One small email: with the broker down, it is sent in this request (run_here_if_unqueued).
        send_reopening_email.delay_on_commit(reopening.pk)
    return reopening


def reopening_close(*, reopening: ReturnReopening, user: User, now: dt.datetime | None = None) -> ReturnReopening:
    """Lock the trust's returns again now, before the reopening would have ended."""
    now = now or timezone.now()
    with transaction.atomic():
        reopening = ReturnReopening.objects.select_for_update().select_related("action", "trust").get(pk=reopening.pk)
        if reopening.closed_early_at is not None or reopening.closes_at <= now:
            raise ReopeningRefused("This reopening has already ended")
        reopening.closed_early_at = now
        reopening.save(update_fields=["closed_early_at"])
        audit_record(event="returns.reopening_closed",
                     summary=f"Locked {reopening.trust.ods_code} returns for {reopening.action.name} again",
                     actor=user, trust=reopening.trust, target=reopening,
                     details={"action": reopening.action.slug})
    return reopening
