"""Reopening one trust's locked returns for an action, and closing a reopening early.

The returns side decides locks: after the hard close a return may be edited only while an open
reopening exists for its action and trust (closes_at in the future, not closed early)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from strikeops.errors import ServiceError
from trusts.dates import formatted
from trusts.models import IndustrialAction, ReturnReopening, Trust, User
from trusts.selectors.completeness import trust_administrators
from trusts.services.audit import audit_record
from trusts.strike_calendar import LONDON, add_working_days, end_of_day

logger = logging.getLogger(__name__)

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
        # Imported here, as notices' services do: the task module imports this one.
        from strikeops.queueing import enqueue_on_commit
        from trusts.tasks import send_reopening_email

        # One small email: with the broker down, send it in this request rather than lose it.
        reopening_pk = reopening.pk
        enqueue_on_commit(send_reopening_email, reopening_pk, what=f"reopening {reopening_pk}",
                          fallback=lambda: send_reopening_email.apply(args=(reopening_pk,)))
    return reopening


def reopening_banner_text(reopening: ReturnReopening) -> str:
    """What the trust's pages and its email say about a reopening in force."""
    return (f"Your returns for {reopening.action.name} are reopened until "
            f"{formatted(reopening.closes_at, 'time_on_day')}, so you can correct them.")


def reopening_notify(*, reopening_id: int, now: dt.datetime | None = None) -> int:
    """Email the trust's administrators, once, that its returns are reopened: the row is claimed
    with a conditional UPDATE first, so a second run (a retried task) sends nothing. Returns the
    number of emails sent. A transport error is logged and the claim kept (no second email)."""
    now = now or timezone.now()
    if not ReturnReopening.objects.filter(pk=reopening_id, notified_at__isnull=True).update(notified_at=now):
        return 0
    reopening = ReturnReopening.objects.select_related("action", "trust").get(pk=reopening_id)
    trust = Trust.objects.prefetch_related(trust_administrators()).get(pk=reopening.trust_id)
    recipients = [m.user.email for m in trust.administrator_memberships]  # type: ignore[attr-defined]
    body = (f"{reopening_banner_text(reopening)}\n\n"
            f"NHS England's reason: {reopening.reason}\n\n"
            f"Sign in to {settings.SERVICE_NAME} and choose Returns to change a figure. Each change needs a "
            "reason. After that time the returns lock again.\n\n"
            "You are receiving this because you are a trust administrator for this trust.\n")
    subject = f"{trust.ods_code} returns for {reopening.action.name} reopened"
    try:
        with get_connection() as connection:
            # One message per person: administrators of a trust need not see each other's addresses.
            connection.send_messages([EmailMessage(subject=subject, body=body, to=[to],
                                                   from_email=settings.DEFAULT_FROM_EMAIL) for to in recipients])
    except Exception:  # recorded in the log; the claim stays, so nobody gets it twice
        logger.exception("Reopening email for reopening %s failed", reopening_id)
        return 0
    return len(recipients)


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
