"""The reminder log: who was reminded, when, to whom, and by the timer or by which manager."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from trusts.models import IndustrialAction, ReminderSent, StrikeDay, Trust
from trusts.selectors.completeness import missing_by_day


def reminder_log(*, trusts: QuerySet[Trust], action: IndustrialAction | None = None) -> QuerySet[ReminderSent]:
    """Reminders to the given trusts (the reader's scope), newest first, with what the log shows."""
    rows = ReminderSent.objects.filter(trust__in=trusts.values("pk"))
    if action is not None:
        rows = rows.filter(strike_day__action=action)
    return rows.select_related("trust", "strike_day__action", "sent_by").order_by("-claimed_at", "-pk")


def last_reminders(action: IndustrialAction, trusts: QuerySet[Trust]) -> dict[tuple[int, dt.date], ReminderSent]:
    """The latest reminder per (trust, strike day) of the action, in one query, for the missing-returns page."""
    latest: dict[tuple[int, dt.date], ReminderSent] = {}
    rows = (ReminderSent.objects.filter(strike_day__action=action, trust__in=trusts.values("pk"))
            .select_related("strike_day", "sent_by").order_by("claimed_at", "pk"))
    for row in rows:
        latest[(row.trust_id, row.strike_day.date)] = row
    return latest


@dataclass(frozen=True)
class ChaseRow:
    trust: Trust
    last: ReminderSent | None


@dataclass(frozen=True)
class ChaseDay:
    """One strike day on the missing-returns page: who has not submitted, and each one's last reminder."""

    strike_day: StrikeDay
    expected: int
    received: int
    overdue: bool
    rows: list[ChaseRow]


def chase_days(action: IndustrialAction, trusts: QuerySet[Trust], now: dt.datetime) -> list[ChaseDay]:
    """missing_by_day with the latest reminder beside each trust (one more query)."""
    last = last_reminders(action, trusts)
    return [
        ChaseDay(strike_day=day.strike_day, expected=day.expected, received=day.received,
                 overdue=day.strike_day.deadline <= now,
                 rows=[ChaseRow(trust=t, last=last.get((t.pk, day.strike_day.date))) for t in day.trusts])
        for day in missing_by_day(action, trusts)
    ]
