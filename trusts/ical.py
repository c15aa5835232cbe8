"""The strike calendar as iCalendar (RFC 5545) feeds people can subscribe to: every strike day of
every action, and one trust's days that owe a return, each with its deadline.

The days come from the stored StrikeDay rows, which trusts/strike_calendar.py derives from the
walkout windows (and their deadlines: 11:00 on the next working day). Events are stable: the UID is
made of the action's slug and the date, DTSTAMP is the action's last change, so a calendar
application updates an event in place when an action changes, and the bytes (and so the ETag) only
change when the data does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from trusts.dates import formatted
from trusts.models import StrikeDay, Trust

PRODID = "-//strikeops//Strike calendar//EN"


def _uid(day: StrikeDay, kind: str) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "strikeops"
    return f"{kind}-{day.action.slug}-{day.date.isoformat()}@{host}"


def _calendar(name: str, description: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # Names and refresh hints that Apple, Google and Outlook read; RFC 7986's are NAME and REFRESH-INTERVAL.
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("description", description)
    calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", dt.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", dt.timedelta(hours=6))
    return calendar


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _strike_day_event(day: StrikeDay, extra: str = "") -> Event:
    event = Event()
    event.add("uid", _uid(day, "strike-day"))
    event.add("dtstamp", day.action.updated_at.astimezone(dt.UTC))
    # An all-day event on the strike day's date (a walkout from 07:00 to 07:00 is called by its first
    # date); the exact times are in the description.
    event.add("dtstart", day.date)
    event.add("dtend", day.date + dt.timedelta(days=1))
    event.add("summary", f"Strike day: {day.action.name}")
    event.add("description", f"Industrial action: {day.action.name}. Walkout from "
                             f"{formatted(day.starts_at, 'time_on_date')} to {formatted(day.ends_at, 'time_on_date')}."
                             f"{extra}")
    event.add("transp", "TRANSPARENT")  # a strike day does not make the reader busy
    event.add("categories", ["Industrial action"])
    return event


def _deadline_event(day: StrikeDay, trust: Trust) -> Event:
    event = Event()
    event.add("uid", _uid(day, f"return-due-{trust.ods_code.lower()}"))
    event.add("dtstamp", day.action.updated_at.astimezone(dt.UTC))
    deadline = day.deadline.astimezone(dt.UTC)
    event.add("dtstart", deadline)
    event.add("dtend", deadline + dt.timedelta(minutes=15))
    event.add("summary", f"Return due: {day.action.name}, strike day {formatted(day.date, 'day_month')}")
    event.add("description", f"{trust.name}'s daily return for {formatted(day.date, 'date')} "
                             f"({day.action.name}) is due by {formatted(day.deadline, 'moment')}.")
    event.add("url", _absolute(reverse("returns:detail", args=[trust.ods_code, day.action.slug, day.date.isoformat()])))
    event.add("categories", ["Daily return"])
    return event


def strike_days_calendar(days: Iterable[StrikeDay]) -> bytes:
    calendar = _calendar("NHS strike days", "Every strike day of industrial action in the NHS in England.")
    for day in days:
        calendar.add_component(_strike_day_event(day))
    ical: bytes = calendar.to_ical()
    return ical


def trust_returns_calendar(trust: Trust, days: Iterable[StrikeDay]) -> bytes:
    calendar = _calendar(f"Strike days and returns: {trust.name}",
                         f"The strike days on which {trust.name} owes a daily return, and each return's deadline.")
    for day in days:
        due = f" {trust.name}'s return is due by {formatted(day.deadline, 'moment')}."
        calendar.add_component(_strike_day_event(day, due))
        calendar.add_component(_deadline_event(day, trust))
    ical: bytes = calendar.to_ical()
    return ical
