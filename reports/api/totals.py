"""Figures for the API, scoped like the reports pages (docs/reports.md):
- national managers: England, every region and every trust;
- regional managers: England's totals, and their region and its trusts;
- trust administrators and communications staff: their own trusts only (as the trust report page);
- anyone else: nothing (the views answer 404).
Everything comes from reports.selectors.reports, so the API and the pages agree by construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from reports.selectors.reports import (
    AreaFigures,
    DayFigures,
    Figures,
    action_headline,
    all_actions,
    average_staff_absent,
    daily_figures,
    peak_of,
    per_action_totals,
    previous_action,
    region_figures,
    totals_of,
    trust_figures,
    with_completeness,
)
from trusts.figures import DAY_METRICS, RESCHEDULED_METRICS
from trusts.models import IndustrialAction, Region, Trust, User
from trusts.models.accounts import TRUST_ROLES
from trusts.scoping import is_national_manager, managed_regions
from trusts.selectors.completeness import completeness_by_action, completeness_by_day, coverage_of, reported


@dataclass
class Scope:
    level: str  # "england", "region" or "trust"
    regions: list[Region]
    trusts: QuerySet[Trust] | None  # None: every trust

    @property
    def managers(self) -> bool:
        return self.level in ("england", "region")

    def as_json(self) -> dict[str, Any]:
        return {"level": self.level, "regions": [r.code for r in self.regions],
                "trusts": sorted(self.trusts.values_list("ods_code", flat=True))
                if self.level == "trust" and self.trusts is not None else []}


def totals_scope(user: User) -> Scope | None:
    if is_national_manager(user):
        return Scope("england", [], None)
    regions = list(managed_regions(user).order_by("code"))
    if regions:
        return Scope("region", regions, Trust.objects.filter(icb__region__in=[r.pk for r in regions]))
    own = Trust.objects.filter(Q(memberships__user=user, memberships__role__in=list(TRUST_ROLES))).distinct() \
        if user.is_authenticated else Trust.objects.none()
    if not own.exists():
        return None
    return Scope("trust", [], Trust.objects.filter(pk__in=own.values("pk")))


def _totals(figures: Figures, days: list[DayFigures] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {**figures.reported_metrics(RESCHEDULED_METRICS), "returns": figures.returns}
    if days is not None:
        peak = peak_of(days)
        row.update(peak_staff_absent=reported(peak.staff_absent, figures.returns), peak_staff_absent_date=peak.date,
                   average_staff_absent=average_staff_absent(days),
                   planned_care_maintained_percent=figures.planned_maintained_percent)
    return row


def totals_list(scope: Scope) -> dict[str, Any]:
    """Every recorded action's totals: England for managers, the scope's own below national (two
    grouped queries, whatever the number of actions)."""
    england = per_action_totals() if scope.managers else {}
    scoped = per_action_totals(scope.trusts) if scope.trusts is not None else {}
    recorded = all_actions()
    # Coverage of the figures each row gives: England's for managers, the scope's below national.
    completeness = completeness_by_action(recorded, scope.trusts if not scope.managers else None)
    rows = []
    for action in reversed(recorded):
        rows.append({
            "coverage": coverage_of(completeness.get(action.pk, [])).as_json(),
            "action": action.slug, "name": action.name, "first_day": action.first_day, "last_day": action.last_day,
            "england": _totals(england.get(action.pk, Figures())) if scope.managers else None,
            "scoped": _totals(scoped.get(action.pk, Figures())) if scope.trusts is not None else None,
        })
    return {"scope": scope.as_json(), "actions": rows}


def _day_json(day: DayFigures, *, completeness: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"date": day.date, **day.figures.reported_metrics(DAY_METRICS)}
    if completeness:
        row.update(returns_expected=day.expected or 0, returns_received=day.received or 0,
                   returns_on_time=day.on_time or 0)
    else:
        row["returns"] = day.figures.returns
    return row


def _area_json(area: AreaFigures, *, trust: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": area.code, "name": area.name, "region_code": area.region_code,
        "days": [{"date": date, **figures.reported_metrics(DAY_METRICS), "returns": figures.returns,
                  **({"status": area.status_on(date)} if trust else {})}
                 for date, figures in area.days.items()],
        "totals": {**area.totals.reported_metrics(RESCHEDULED_METRICS),
                   "peak_staff_absent": reported(area.peak.staff_absent, area.totals.returns),
                   "peak_staff_absent_date": area.peak.date, "days_reported": area.days_reported,
                   "returns": area.totals.returns},
    }
    if trust:
        row.update(status=area.status, missing_dates=area.missing_dates)
    return row


def totals_detail(scope: Scope, action: IndustrialAction) -> dict[str, Any]:
    dates = [day.date for day in action.strike_days.all()]
    england = None
    if scope.managers:
        days = with_completeness(daily_figures([action])[action.pk], completeness_by_day(action))
        england = {"headline": action_headline(action, days), "days": [_day_json(d, completeness=True) for d in days],
                   "totals": _totals(totals_of(days), days), "coverage": coverage_of(days).as_json(),
                   "previous_action": previous_action(action)}
    regions = region_figures(action, dates, scope.trusts) if scope.managers else []
    trusts = trust_figures(action, dates, scope.trusts)
    return {
        "action": action.slug, "name": action.name, "scope": scope.as_json(), "england": england,
        "regions": [_area_json(a, trust=False) for a in regions],
        "trusts": [_area_json(a, trust=True) for a in sorted(trusts, key=lambda a: a.code)],
    }
