"""A trust's own figures for one action, as the notice and message placeholders use them."""

from __future__ import annotations

from django.db.models import Max

from trusts.dates import date_span, days_list
from trusts.figures import APPOINTMENT_FIELDS, PROCEDURE_FIELDS, aggregates
from trusts.models import DailyReturn, IndustrialAction, ReturnStatus, Trust
from trusts.selectors.completeness import reported


def format_action_dates(action: IndustrialAction) -> str:
    """'11 to 14 April 2023', '30 April to 1 May 2023', '15 and 20 December 2022'."""
    days = list(action.strike_days.values_list("date", flat=True).order_by("date"))
    if not days:
        return ""
    contiguous = (days[-1] - days[0]).days == len(days) - 1
    return date_span(days[0], days[-1]) if contiguous else days_list(days)


def trust_action_figures(trust: Trust, action: IndustrialAction) -> dict[str, object]:
    """Values for the trust placeholders, from the trust's submitted returns (one query).

    appointments = outpatient + community + mental health; procedures = elective (DOMAIN.md; the
    vocabulary's units say which is which).
    A figure no return stands behind is "" (the placeholder then refuses to render), never "0":
    the rule every output uses (trusts.selectors.completeness.reported)."""
    sums = DailyReturn.objects.filter(action=action, trust=trust, status=ReturnStatus.SUBMITTED).aggregate(
        **aggregates((*APPOINTMENT_FIELDS, *PROCEDURE_FIELDS, "returns"), over="returns"),
        peak_absent=Max("staff_absent"),
    )
    returns = sums["returns"]
    appointments = reported(sum(sums[name] for name in APPOINTMENT_FIELDS), returns)
    procedures = reported(sum(sums[name] for name in PROCEDURE_FIELDS), returns)
    peak = reported(sums["peak_absent"], returns)
    return {
        "trust_name": trust.name,
        "action_name": action.name,
        "action_dates": format_action_dates(action),
        "appointments_rescheduled": "" if appointments is None else f"{appointments:,}",
        "procedures_rescheduled": "" if procedures is None else f"{procedures:,}",
        "peak_staff_absent": "" if peak is None else f"{peak:,}",
    }


def notice_figures(*, trust: Trust, action: IndustrialAction | None) -> dict[str, str]:
    """Placeholder values from the trust's own submitted returns, blank where there is no figure yet."""
    if action is None:
        return {"trust_name": trust.name}
    return {k: str(v) for k, v in trust_action_figures(trust, action).items()}
