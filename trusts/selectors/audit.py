"""Reading the audit log (the page for national managers)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from trusts.models import AuditEvent, DailyReturn


def audit_event_types() -> list[str]:
    """Every event name recorded so far, for the filter's options."""
    return list(AuditEvent.objects.order_by("event").values_list("event", flat=True).distinct())


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(
    *,
    event: str = "",
    trust_code: str = "",
    actor_email: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first, narrowed by whichever filters are given. Dates are whole days in
    UK time (the log stores UTC)."""
    events = AuditEvent.objects.all()
    if event:
        events = events.filter(event=event)
    if trust_code:
        events = events.filter(trust_code=trust_code.upper())
    if actor_email:
        events = events.filter(actor_email__icontains=actor_email.strip())
    if date_from:
        events = events.filter(occurred_at__gte=_start_of_day(date_from))
    if date_to:
        events = events.filter(occurred_at__lt=_start_of_day(date_to + timedelta(days=1)))
    return events.order_by("-occurred_at", "-id")


# The steps of the loop between NHS England and a trust on one return, as its history shows them.
LOOP_EVENTS = ("query.raised", "query.answered", "query.closed", "return.signed_off")


def return_loop_events(daily_return: DailyReturn) -> QuerySet[AuditEvent]:
    """Queries raised, answered and closed on a return, and its sign-offs, oldest first, from the
    audit log (the record of every step), one query. Revisions have their own table."""
    return (AuditEvent.objects.filter(event__in=LOOP_EVENTS, trust_id=daily_return.trust_id)
            .filter(Q(details__return=daily_return.pk)
                    | Q(object_type=DailyReturn._meta.label, object_id=str(daily_return.pk)))
            .order_by("occurred_at", "id"))
