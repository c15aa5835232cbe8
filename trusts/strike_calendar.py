"""Strike days, working days and deadlines: the calendar rules of DOMAIN.md, as pure functions.

Times are Europe/London wall-clock times. A walkout window is cut into consecutive windows that
start at the same local time each day (not every 24 elapsed hours), so a clock change moves
no boundary: 07:00 stays 07:00 across the last Sunday of March.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
RETURN_DUE_TIME = dt.time(11, 0)
HARD_CLOSE_WORKING_DAYS = 5


@dataclass(frozen=True)
class StrikeDayWindow:
    date: dt.date  # the calendar date the window starts on: the strike day's label
    starts_at: dt.datetime
    ends_at: dt.datetime


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("walkout times must be timezone-aware")
    return value.astimezone(LONDON)


def _at_local(date: dt.date, time: dt.time) -> dt.datetime:
    # fold=0 picks the first of an ambiguous autumn hour; zoneinfo moves a skipped spring time on.
    return dt.datetime.combine(date, time, tzinfo=LONDON)


def strike_days_for_window(start: dt.datetime, end: dt.datetime) -> list[StrikeDayWindow]:
    """Cut one walkout window into strike days (the last may be shorter than a day)."""
    start, end = _local(start), _local(end)
    if end <= start:
        raise ValueError("a walkout window must end after it starts")
    days: list[StrikeDayWindow] = []
    day = start.date()
    wall_time = start.timetz().replace(tzinfo=None)
    boundary = start
    while boundary < end:
        next_boundary = _at_local(day + dt.timedelta(days=1), wall_time)
        days.append(StrikeDayWindow(date=day, starts_at=boundary, ends_at=min(next_boundary, end)))
        day += dt.timedelta(days=1)
        boundary = next_boundary
    return days


def strike_days(windows: list[tuple[dt.datetime, dt.datetime]]) -> list[StrikeDayWindow]:
    """All strike days of an action, in order. Overlapping windows are a caller error."""
    days = [d for start, end in sorted(windows) for d in strike_days_for_window(start, end)]
    labels = [d.date for d in days]
    if len(labels) != len(set(labels)):
        raise ValueError("walkout windows overlap: two strike days would share a date")
    return days


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    candidate = day + dt.timedelta(days=1)
    while not is_working_day(candidate):
        candidate += dt.timedelta(days=1)
    return candidate


def add_working_days(day: dt.date, count: int) -> dt.date:
    for _ in range(count):
        day = next_working_day(day)
    return day


def return_deadline(strike_day: dt.date) -> dt.datetime:
    """A strike day's return is due by 11:00 on the next working day after it."""
    return _at_local(next_working_day(strike_day), RETURN_DUE_TIME)


def default_hard_close(last_strike_day: dt.date) -> dt.date:
    """Returns lock at the end of the fifth working day after the action's last strike day."""
    return add_working_days(last_strike_day, HARD_CLOSE_WORKING_DAYS)


def end_of_day(day: dt.date) -> dt.datetime:
    return _at_local(day + dt.timedelta(days=1), dt.time(0, 0))


def season_of(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """NHS England's "this winter" is December to March; the rest of the year is one season too
    (April to November). Returns (name, first day, last day)."""
    if day.month == 12 or day.month <= 3:
        first_year = day.year if day.month == 12 else day.year - 1
        return (f"Winter {first_year} to {first_year + 1}", dt.date(first_year, 12, 1),
                dt.date(first_year + 1, 3, 31))
    return (f"April to November {day.year}", dt.date(day.year, 4, 1), dt.date(day.year, 11, 30))
