"""Every way a date or a time is written for people, by name: pages, emails, messages, errors, feeds,
downloads. Python calls `formatted(value, "day")`; templates `{% load dates %}` and
`{{ value|formatted:"day" }}` (trusts/templatetags/dates.py), over the same names.

Times are shown in UK time: an aware datetime is converted to Europe/London first (templates already
receive local times). A new way to write a date is a new name here, never a format string at the call
site. Machine formats (ISO 8601 in JSON, URLs and audit details) use `.isoformat()` and are not here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence

from django.utils import dateformat

from trusts.strike_calendar import LONDON


def _moment(value: dt.datetime | dt.date) -> str:
    """'11am on Thursday 13 April 2023', 'midnight on ...', '9:30am on ...': a moment as NHS.UK
    writes one in a sentence (deadlines, when a strike day begins, when returns lock)."""
    if not isinstance(value, dt.datetime):
        raise TypeError("A date has no time of day")
    if (value.hour, value.minute) == (0, 0):
        clock_text = "midnight"
    elif (value.hour, value.minute) == (12, 0):
        clock_text = "midday"
    else:
        clock_text = dateformat.format(value, "g" if value.minute == 0 else "g:i") + ("am" if value.hour < 12 else "pm")
    return f"{clock_text} on {dateformat.format(value, 'l j F Y')}"


# Django date-format characters (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date),
# or a function for what those cannot say. Examples are for Wednesday 5 April 2023, 09:30 UK time.
FORMATS: dict[str, str | Callable[[dt.datetime | dt.date], str]] = {
    # Dates
    "date": "j F Y",                            # 5 April 2023
    "day": "l j F Y",                           # Wednesday 5 April 2023
    "day_month": "j F",                         # 5 April
    "day_no_year": "l j F",                     # Wednesday 5 April
    "short_date": "j M Y",                      # 5 Apr 2023
    "short_day": "D j M Y",                     # Wed 5 Apr 2023
    "short_day_no_year": "D j M",               # Wed 5 Apr (chart axes)
    "short_day_month": "j M",                   # 5 Apr
    "column_date": "d M Y",                     # 05 Apr 2023 (download column headings; published as such)
    "iso": "Y-m-d",                             # 2023-04-05 (URLs and anchors in templates)
    # Times, and dates with times
    "time": "H:i",                              # 09:30
    "moment": _moment,                          # 9:30am on Wednesday 5 April 2023
    "time_on_date": r"H:i \o\n j F Y",          # 09:30 on 5 April 2023
    "time_on_day": r"H:i \o\n l j F Y",         # 09:30 on Wednesday 5 April 2023
    "time_on_day_month": r"H:i \o\n j F",       # 09:30 on 5 April
    "time_day": "H:i l j F Y",                  # 09:30 Wednesday 5 April 2023
    "time_date": "H:i j F Y",                   # 09:30 5 April 2023
    "time_day_month": "H:i j F",                # 09:30 5 April
    "short_time_day": "H:i D j M",              # 09:30 Wed 5 Apr
    "date_time": "j F Y H:i",                   # 5 April 2023 09:30
    "date_comma_time": "j F Y, H:i",            # 5 April 2023, 09:30
    "date_at_time": r"j F Y \a\t H:i",          # 5 April 2023 at 09:30
    "day_at_time": r"l j F Y \a\t H:i",         # Wednesday 5 April 2023 at 09:30
    "short_date_time": "j M Y, H:i",            # 5 Apr 2023, 09:30
    "short_date_seconds": "j M Y, H:i:s",       # 5 Apr 2023, 09:30:15 (audit log)
    "date_12h": "j F Y, g:ia",                  # 5 April 2023, 9:30a.m. (notices)
    "date_12h_spaced": "j F Y, g:i a",          # 5 April 2023, 9:30 a.m.
    "stamp": "Y-m-d H:i",                       # 2023-04-05 09:30 (admin and shell labels)
}


def formatted(value: dt.datetime | dt.date, name: str) -> str:
    """`value` written in the named format (KeyError for a name that is not in FORMATS)."""
    return _formatted(value, name)


# A report page writes the same few strike days and deadlines a hundred times or more (each table
# row's peak day): the text depends only on the value and the format (datetimes are written in
# London time whatever the request's time zone), so it is kept.
@functools.lru_cache(maxsize=4096)
def _formatted(value: dt.datetime | dt.date, name: str) -> str:
    how = FORMATS[name]
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(LONDON)
    return how(value) if callable(how) else dateformat.format(value, how)


def date_span(first: dt.date, last: dt.date) -> str:
    """'5 April 2023', '11 to 14 April 2023', '30 April to 1 May 2023', '30 December 2022 to
    2 January 2023': a month or a year said once when both ends share it."""
    if first == last:
        return formatted(first, "date")
    if first.year != last.year:
        return f"{formatted(first, 'date')} to {formatted(last, 'date')}"
    if first.month != last.month:
        return f"{formatted(first, 'day_month')} to {formatted(last, 'date')}"
    return f"{first.day} to {formatted(last, 'date')}"


def days_list(days: Sequence[dt.date]) -> str:
    """'15 and 20 December 2022', '28 February, 1 and 2 March 2023': separate days, a month or a year
    said only where it changes from the last day's."""
    last = days[-1]
    labels = [str(d.day) if (d.year, d.month) == (last.year, last.month)
              else formatted(d, "day_month") if d.year == last.year
              else formatted(d, "date") for d in days[:-1]]
    return (f"{', '.join(labels)} and " if labels else "") + formatted(last, "date")
