"""The manager-trust loop on a report page (action, region, ICB): on-time rates, signed-off
coverage and the queries not yet closed, for the reader's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from trusts.models import IndustrialAction, Trust
from trusts.selectors.completeness import signed_off_by_day, timeliness
from trusts.selectors.queries import unresolved_queries

TIMELINESS_HEADINGS = {
    "day": "Strike day", "region": "NHS England region", "icb": "Integrated care board", "trust": "Trust",
}


def loop_context(action: IndustrialAction, trusts: QuerySet[Trust] | None,
                 levels: tuple[str, ...] = ("region", "icb")) -> dict[str, Any]:
    """What the action, region, ICB and trust pages add: timeliness per strike day and per each of
    `levels` ("region", "icb", "trust"), signed-off coverage, and the queries not yet closed. One
    query per level, plus two."""
    scope = trusts if trusts is not None else Trust.objects.all()
    context: dict[str, Any] = {
        "timeliness_days": timeliness(action, by="day", trusts=trusts),
        "open_queries": list(unresolved_queries(scope, action)),
    }
    # One table shape for every level: per strike day first, then each area level over the action.
    context["timeliness_tables"] = [("day", TIMELINESS_HEADINGS["day"], context["timeliness_days"]), *(
        (level, TIMELINESS_HEADINGS[level], timeliness(action, by=level, trusts=trusts)) for level in levels)]
    if action.requires_sign_off:
        signed = signed_off_by_day(action, trusts)
        context["signed_off_days"] = [(day.name, signed.get(_date(day.code), 0), day.received, day.expected)
                                      for day in context["timeliness_days"]]
    return context


def _date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)
