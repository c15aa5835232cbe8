"""Small builders for test data, so tests state only what matters to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from trusts.models import DailyReturn, IndustrialAction, ReturnStatus, StrikeDay, Trust, WalkoutWindow
from trusts.strike_calendar import LONDON, default_hard_close, return_deadline, strike_days


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def make_action(
    slug: str = "junior-doctors-april-2023",
    name: str = "Junior doctors, April 2023",
    windows: Iterable[tuple[dt.datetime, dt.datetime]] = ((local(2023, 4, 11, 7), local(2023, 4, 15, 7)),),
    *,
    staff_group: str = "junior_doctors",
    unions: list[str] | None = None,
    affected: Iterable[str] = (),
    hard_close: dt.date | None = None,
) -> IndustrialAction:
    """An action with its windows and derived strike days, as the actions service would build it."""
    windows = list(windows)
    days = strike_days(windows)
    action = IndustrialAction.objects.create(
        slug=slug, name=name, staff_group=staff_group, unions=unions if unions is not None else ["BMA"],
        first_day=days[0].date, last_day=days[-1].date,
        hard_close=hard_close or default_hard_close(days[-1].date),
    )
    for start, end in windows:
        WalkoutWindow.objects.create(action=action, starts_at=start, ends_at=end)
    StrikeDay.objects.bulk_create(
        StrikeDay(action=action, date=d.date, starts_at=d.starts_at, ends_at=d.ends_at,
                  deadline=return_deadline(d.date))
        for d in days
    )
    if affected:
        action.affected_trusts.set(Trust.objects.filter(ods_code__in=list(affected)))
    return action


def make_return(
    action: IndustrialAction,
    trust: Trust | str,
    date: dt.date,
    *,
    status: str = ReturnStatus.SUBMITTED,
    submitted_at: dt.datetime | None = None,
    **figures: int | None,
) -> DailyReturn:
    """A return written straight to the table (no validation): for building report fixtures."""
    if isinstance(trust, str):
        trust = Trust.objects.get(ods_code=trust)
    day = StrikeDay.objects.get(action=action, date=date)
    values: dict[str, int | None] = {
        "elective_rescheduled": 0, "outpatient_rescheduled": 0,
        "community_rescheduled": 0, "mental_health_rescheduled": 0,
    }
    values.update(figures)
    when = submitted_at or timezone.now()
    submitted = status == ReturnStatus.SUBMITTED
    return DailyReturn.objects.create(
        action=action, trust=trust, strike_day=day, date=date, status=status,
        submitted_at=when if submitted else None, first_submitted_at=when if submitted else None,
        is_nil=submitted and not any(v for v in values.values()),
        **values,
    )
