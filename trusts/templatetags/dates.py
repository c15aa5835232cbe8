"""`{% load dates %}`: `{{ value|formatted:"day" }}` writes a date or time in one of trusts.dates' named
formats, as Python code does with trusts.dates.formatted."""

from __future__ import annotations

import datetime as dt

from django import template

from trusts.dates import formatted as _formatted

register = template.Library()


@register.filter(expects_localtime=True)
def formatted(value: dt.datetime | dt.date | str | None, name: str) -> str:
    """Like Django's `date` filter, nothing for anything that is not a date (a missing value is "" or
    None); but an unknown name is an error, so that a typo fails the page's test instead of printing
    nothing."""
    return _formatted(value, name) if isinstance(value, dt.date) else ""
