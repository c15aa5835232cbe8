"""The strike calendar feeds (public, like the notices): subscribe in any calendar application."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from strikeops.public_cache import public_page
from trusts.ical import strike_days_calendar, trust_returns_calendar
from trusts.models import StrikeDay, Trust
from trusts.scoping import get_scoped_trust_or_404
from trusts.selectors.completeness import strike_days_owed_by

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@public_page
def all_strike_days(request: HttpRequest) -> HttpResponse:
    days = StrikeDay.objects.select_related("action").order_by("date", "action__name")
    return _ics(strike_days_calendar(days), "strike-days.ics")


@public_page
def trust_strike_days(request: HttpRequest, ods_code: str) -> HttpResponse:
    trust = get_scoped_trust_or_404(Trust.objects.all(), ods_code)
    return _ics(trust_returns_calendar(trust, strike_days_owed_by(trust)), f"strike-days-{trust.ods_code}.ics")
