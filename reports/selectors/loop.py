"""The manager-trust loop on a report page (action, region, ICB): on-time rates, signed-off
coverage and the queries not yet closed, for the reader's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from reports.links import links_by_code
from trusts.models import IndustrialAction, Trust
from trusts.selectors.completeness import (
    DayCompleteness,
    Timeliness,
    completeness_by_day,
    days_timeliness,
    signed_off_by_day,
    timeliness_by_area,
)
from trusts.selectors.queries import unresolved_queries

TIMELINESS_HEADINGS = {
    "day": "Strike day", "region": "NHS England region", "icb": "Integrated care board", "trust": "Trust",
}


@dataclass(frozen=True)
class ShownTimeliness:
    """One row of an on-time table as its cells state it: texts, which the template writes and
    escapes (reports/_loop.html), made here once per row rather than by a filter per cell."""

    label: str
    href: str
    expected: str
    on_time: str
    late: str
    missing: str
    rate: str


# The pages an area's row links to, by level.
_LEVEL_PAGES = {"icb": "reports:icb", "region": "reports:region"}


def _shown(rows: Sequence[Timeliness], *, level: str = "day", action: IndustrialAction | None = None
           ) -> list[ShownTimeliness]:
    link: Callable[[str], str] | None = (
        links_by_code(_LEVEL_PAGES[level], action.slug) if level in _LEVEL_PAGES and action else None)
    return [ShownTimeliness(
        label=f"{row.name} ({row.code})" if level == "trust" else row.name,
        href=link(row.code) if link else "",
        expected=f"{row.expected:,}", on_time=f"{row.on_time:,}", late=f"{row.late:,}", missing=f"{row.missing:,}",
        rate="None expected" if row.on_time_rate is None else f"{row.on_time_rate}%",
    ) for row in rows]


def loop_context(action: IndustrialAction, trusts: QuerySet[Trust] | None,
                 levels: tuple[str, ...] = ("region", "icb"),
                 completeness: list[DayCompleteness] | None = None) -> dict[str, Any]:
    """What the action, region, ICB and trust pages add: timeliness per strike day and per each of
    `levels` ("region", "icb", "trust"), signed-off coverage, and how many queries are not yet closed.
    `completeness` is completeness_by_day(action, trusts) when the page already has it (the
    per-day table is made from it). One query for every level, plus one (two with sign-off, three
    without `completeness`)."""
    scope = trusts if trusts is not None else Trust.objects.all()
    days = days_timeliness(completeness if completeness is not None else completeness_by_day(action, trusts))
    areas = timeliness_by_area(action, levels, trusts)
    context: dict[str, Any] = {
        "timeliness_days": days,
        # The page states how many (one COUNT; the queries page lists them).
        "open_query_count": unresolved_queries(scope, action).count(),
        # One table shape for every level: per strike day first, then each area level over the action.
        "timeliness_tables": [("day", TIMELINESS_HEADINGS["day"], _shown(days)), *(
            (level, TIMELINESS_HEADINGS[level], _shown(areas[level], level=level, action=action))
            for level in levels)],
    }
    if action.requires_sign_off:
        signed = signed_off_by_day(action, trusts)
        context["signed_off_days"] = [(day.name, signed.get(_date(day.code), 0), day.received, day.expected)
                                      for day in days]
    return context


def _date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)
