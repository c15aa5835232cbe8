"""Reading the audit log (the page for national managers).

The log only grows (a million events is a few years of use), so nothing here reads the whole table:
the event names come from a skip scan of the event index, and pages are keyset pages (the events
older or newer than a cursor, by the (occurred_at, id) index) with no count of the total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from trusts.models import AuditEvent, DailyReturn

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def audit_event_types() -> list[str]:
    """Every event name recorded so far, for the filter's options: one index probe per name (a
    recursive "loose index scan"), not a DISTINCT over every event."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        # The table name is ours, quoted; nothing from a request is in the SQL.
        cursor.execute(
            f"WITH RECURSIVE names(event) AS ("  # noqa: S608  # nosec B608 # our table name only
            f" SELECT * FROM (SELECT event FROM {table} ORDER BY event LIMIT 1) AS first_name"
            f" UNION ALL"
            f" SELECT (SELECT e.event FROM {table} e WHERE e.event > names.event ORDER BY e.event LIMIT 1)"
            f" FROM names WHERE names.event IS NOT NULL"
            f") SELECT event FROM names WHERE event IS NOT NULL")
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class EventPage:
    """One keyset page of events, newest first, with the cursors of its neighbours (None at an end)."""

    events: list[AuditEvent]
    older: str | None
    newer: str | None

    def __iter__(self) -> Iterator[AuditEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    @property
    def has_other_pages(self) -> bool:
        return self.older is not None or self.newer is not None


def _cursor(event: AuditEvent) -> str:
    return f"{(event.occurred_at - _EPOCH) // timedelta(microseconds=1)}-{event.pk}"


def _parse_cursor(text: str) -> tuple[datetime, int] | None:
    micros, _, pk = text.partition("-")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
        return None
    return _EPOCH + timedelta(microseconds=int(micros)), int(pk)


def audit_events_page(events: QuerySet[AuditEvent], *, before: str = "", after: str = "",
                      size: int) -> EventPage:
    """The `size` events just older than the cursor `before`, or just newer than `after`, or the
    newest. A cursor that does not parse counts as none (the newest page)."""
    older_than, newer_than = _parse_cursor(before), _parse_cursor(after)
    if newer_than is not None:
        when, pk = newer_than
        # occurred_at >= when narrows the index range; the exclusion drops the cursor's own moment.
        rows = list(events.filter(occurred_at__gte=when).exclude(Q(occurred_at=when) & Q(pk__lte=pk))
                    .order_by("occurred_at", "id")[:size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return EventPage(rows, older=_cursor(rows[-1]) if rows else None,
                         newer=_cursor(rows[0]) if rows and more_newer else None)
    if older_than is not None:
        when, pk = older_than
        events = events.filter(occurred_at__lte=when).exclude(Q(occurred_at=when) & Q(pk__gte=pk))
    rows = list(events.order_by("-occurred_at", "-id")[:size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return EventPage(rows, older=_cursor(rows[-1]) if rows and more_older else None,
                     newer=_cursor(rows[0]) if rows and older_than is not None else None)


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
