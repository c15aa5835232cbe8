"""Reading the audit log (the page for national managers)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from trusts.models import AuditEvent


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
