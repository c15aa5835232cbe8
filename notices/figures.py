"""A trust's own figures for one action, as the notice and message placeholders use them."""

from __future__ import annotations

from django.db.models import Max, Sum
from django.db.models.functions import Coalesce

from trusts.models import DailyReturn, IndustrialAction, ReturnStatus, Trust


def format_action_dates(action: IndustrialAction) -> str:
    """'11 to 14 April 2023', '30 April to 1 May 2023', '15 and 20 December 2022'."""
    days = list(action.strike_days.values_list("date", flat=True).order_by("date"))
    if not days:
        return ""
    first, last = days[0], days[-1]
    contiguous = (last - first).days == len(days) - 1
    if len(days) == 1:
        return f"{first.day} {first:%B %Y}"
    if not contiguous:
        parts = [f"{d.day}" + ("" if d.month == last.month and d.year == last.year else f" {d:%B}") for d in days]
        return ", ".join(parts[:-1]) + f" and {last.day} {last:%B %Y}"
    if first.year != last.year:
        return f"{first.day} {first:%B %Y} to {last.day} {last:%B %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%B} to {last.day} {last:%B %Y}"
    return f"{first.day} to {last.day} {last:%B %Y}"


def trust_action_figures(trust: Trust, action: IndustrialAction) -> dict[str, object]:
    """Values for the trust placeholders, from the trust's submitted returns (one query).

    appointments = outpatient + community + mental health; procedures = elective (DOMAIN.md)."""
    sums = DailyReturn.objects.filter(action=action, trust=trust, status=ReturnStatus.SUBMITTED).aggregate(
        elective=Coalesce(Sum("elective_rescheduled"), 0),
        outpatient=Coalesce(Sum("outpatient_rescheduled"), 0),
        community=Coalesce(Sum("community_rescheduled"), 0),
        mental_health=Coalesce(Sum("mental_health_rescheduled"), 0),
        peak_absent=Max("staff_absent"),
    )
    appointments = sums["outpatient"] + sums["community"] + sums["mental_health"]
    return {
        "trust_name": trust.name,
        "action_name": action.name,
        "action_dates": format_action_dates(action),
        "appointments_rescheduled": f"{appointments:,}",
        "procedures_rescheduled": f"{sums['elective']:,}",
        "peak_staff_absent": f"{sums['peak_absent']:,}" if sums["peak_absent"] is not None else "",
    }
