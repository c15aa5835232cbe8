"""Publishing an action's figures as a dated, numbered, frozen release (DOMAIN.md, "Publication")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest

from reports.models import Release
from reports.selectors.reports import (
    AreaFigures,
    action_entry,
    all_actions,
    daily_figures,
    icb_figures,
    per_action_totals,
    previous_action,
    region_figures,
    season_comparison,
    season_sentence,
    trust_figures,
    with_completeness,
)
from strikeops.errors import ServiceError
from trusts import clock
from trusts.dates import formatted
from trusts.figures import DAY_METRICS, RESCHEDULED_FIELDS, RESCHEDULED_METRICS, WORKFORCE_FIELDS
from trusts.models import IndustrialAction, ReturnRevision, Trust, User
from trusts.scoping import is_national_manager
from trusts.selectors.completeness import DayCompleteness, completeness_by_day, coverage_of, reported
from trusts.services.audit import audit_record

# The figures a trust enters: what a release compares, return by return.
RETURN_FIGURES = (*WORKFORCE_FIELDS, *RESCHEDULED_FIELDS)


class ReleaseRefused(ServiceError):
    """Publishing was refused: nothing was published. The message says why, in a manager's words."""


class CoverageBelowThreshold(ReleaseRefused):
    def __init__(self, days: Sequence[DayCompleteness], threshold: int) -> None:
        self.days, self.threshold = list(days), threshold
        listed = "; ".join(f"{formatted(d.date, 'date')}: {d.received:,} of {d.expected:,} returns "
                           f"({d.percent_received}%)" for d in self.days)
        super().__init__(f"Coverage is below {threshold}% on {len(self.days)} strike day"
                         f"{'' if len(self.days) == 1 else 's'} ({listed}). Publish anyway only with a reason.")


def days_below_threshold(
    completeness: Sequence[DayCompleteness], threshold: int | None = None,
) -> list[DayCompleteness]:
    """The strike days with fewer than `threshold`% (default: RELEASE_COVERAGE_THRESHOLD) of their
    expected returns; compared in whole numbers, so 94.9% is below 95%."""
    threshold = settings.RELEASE_COVERAGE_THRESHOLD if threshold is None else threshold
    return [d for d in completeness if d.received * 100 < threshold * d.expected]


def _area_json(area: AreaFigures, *, trust: bool = False) -> dict[str, Any]:
    """A region, ICB or trust row as releases (and the downloads built from them) carry it: a
    figure nobody reported is null, never 0; a trust's row and each of its days carry a status."""
    row: dict[str, Any] = {
        "code": area.code, "name": area.name,
        "region_code": area.region_code, "region_name": area.region_name,
        "days": [{"date": date.isoformat(), **figures.reported_metrics(DAY_METRICS), "returns": figures.returns,
                  "nil_returns": figures.nil_returns, "late_returns": figures.late_returns,
                  **({"status": area.status_on(date)} if trust else {})}
                 for date, figures in area.days.items()],
        "totals": {**area.totals.reported_metrics(RESCHEDULED_METRICS),
                   "peak_staff_absent": reported(area.peak.staff_absent, area.totals.returns),
                   "peak_staff_absent_date": area.peak.date.isoformat() if area.peak.date else None,
                   "days_reported": area.days_reported},
    }
    if area.icb_code:
        row.update(icb_code=area.icb_code, icb_name=area.icb_name)
    if trust:
        # No contact details: a release is public.
        row.update(trust_type=area.trust_type, status=area.status,
                   missing_dates=[d.isoformat() for d in area.missing_dates],
                   nil_dates=[d.isoformat() for d in area.nil_dates])
    return row


def release_snapshot(action: IndustrialAction, trusts: QuerySet[Trust] | None = None,
                     completeness: Sequence[DayCompleteness] | None = None, *,
                     signed_off_only: bool = False) -> dict[str, Any]:
    """Everything a release shows, computed now and copied into JSON, so that it never moves.
    `trusts` narrows the region, ICB and trust tables and the completeness to a manager's scope
    (the manager's XLSX download is built from this too); England's figures stay England's.
    `signed_off_only`: the action's figures from signed-off returns only (coverage counts only
    those as received); the season comparison with earlier actions is unchanged."""
    recorded = all_actions()
    action = next(a for a in recorded if a.pk == action.pk)
    totals = per_action_totals()
    england_completeness = (list(completeness) if completeness is not None
                            else completeness_by_day(action, signed_off_only=signed_off_only))
    completeness = (england_completeness if trusts is None
                    else completeness_by_day(action, trusts, signed_off_only=signed_off_only))
    days = with_completeness(daily_figures([action], signed_off_only=signed_off_only)[action.pk],
                             england_completeness)
    dates = [d.date for d in days]
    comparison = season_comparison(action, recorded, totals)
    return {
        "generated_at": clock.now().isoformat(),
        "signed_off_only": signed_off_only,
        "national": action_entry(action, days, comparison, previous_action(action)),
        "season_sentence": season_sentence(action, comparison),
        "days": [{"date": d.date.isoformat(), "staff_absent_percent": d.figures.staff_absent_percent,
                  "planned_maintained_percent": d.figures.planned_maintained_percent} for d in days],
        "completeness": [{"date": c.date.isoformat(), "deadline": c.deadline.isoformat(), "expected": c.expected,
                          "received": c.received, "on_time": c.on_time, "missing": c.missing} for c in completeness],
        "coverage": coverage_of(completeness).as_json(),
        "regions": [_area_json(a) for a in region_figures(action, dates, trusts, signed_off_only=signed_off_only)],
        "icbs": [_area_json(a) for a in icb_figures(action, dates, trusts, signed_off_only=signed_off_only)],
        "trusts": [_area_json(a, trust=True)
                   for a in trust_figures(action, dates, trusts, signed_off_only=signed_off_only)],
    }


def _trust_days(snapshot: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(t["code"], day["date"]): {"name": t["name"], **day} for t in snapshot["trusts"] for day in t["days"]
            if day["returns"]}


def release_changes(
    previous: Release | None, snapshot: dict[str, Any], revisions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """What changed since the previous release: the national totals, and each trust-day whose
    figures moved (or that arrived or went), with the reasons trusts gave in their revisions."""
    if previous is None:
        return {}
    before, after = _trust_days(previous.figures), _trust_days(snapshot)
    reasons: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for revision in revisions:
        reasons[(revision["daily_return__trust__ods_code"], revision["daily_return__date"].isoformat())].append({
            "version": revision["version"], "reason": revision["reason"], "changes": revision["changes"],
            "at": revision["created_at"].isoformat(),
        })
    returns = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[1], k[0])):
        old, new = before.get(key), after.get(key)
        changed = {f: [old.get(f) if old else None, new.get(f) if new else None] for f in RETURN_FIGURES
                   if (old or {}).get(f) != (new or {}).get(f)}
        if not changed:
            continue
        returns.append({
            "ods_code": key[0], "trust": (new or old or {}).get("name", ""), "date": key[1],
            "kind": "received" if old is None else ("withdrawn" if new is None else "revised"),
            "changes": changed, "reasons": reasons.get(key, []),
        })
    old_totals, new_totals = previous.figures["national"]["totals"], snapshot["national"]["totals"]
    return {
        "previous": previous.number,
        "previous_published_at": previous.published_at.isoformat(),
        "totals": {m: [old_totals[m], new_totals[m]] for m in (*RESCHEDULED_METRICS, "peak_staff_absent")
                   if old_totals[m] != new_totals[m]},
        "returns": returns,
    }


def release_publish(
    *, action: IndustrialAction, user: User | None, note: str = "", allow_incomplete: bool = False,
    reason: str = "", request: HttpRequest | None = None, signed_off_only: bool = False,
) -> Release:
    """Publish the action's figures as they stand now. National managers only; `user` None is the
    publish_release command, which runs with national authority as import_returns does.

    Refused (CoverageBelowThreshold) while any strike day has fewer than RELEASE_COVERAGE_THRESHOLD
    percent of its expected returns, unless `allow_incomplete` with a `reason`, which the release
    records and shows. ReleaseRefused when allow_incomplete comes without a reason.
    `signed_off_only` (actions that require sign-off) restricts the figures, and the coverage the
    threshold is checked against, to signed-off returns."""
    if user is not None and not is_national_manager(user):
        raise PermissionDenied("Only a national manager can publish figures.")
    if signed_off_only and not action.requires_sign_off:
        raise ReleaseRefused(f"Returns for {action.name} are not signed off, so a release cannot be restricted "
                             "to signed-off returns.")
    reason, note = reason.strip(), note.strip()
    threshold = settings.RELEASE_COVERAGE_THRESHOLD
    with transaction.atomic():
        # Lock the action so that two publishes cannot take the same number or overlap revisions.
        action = IndustrialAction.objects.select_for_update().get(pk=action.pk)
        completeness = completeness_by_day(action, signed_off_only=signed_off_only)
        below = days_below_threshold(completeness, threshold)
        if below and not allow_incomplete:
            raise CoverageBelowThreshold(below, threshold)
        if below and not reason:
            raise ReleaseRefused("Give the reason for publishing figures below the coverage threshold: "
                                 "it is published with them.")
        previous = action.releases.order_by("-number").first()
        action_revisions = ReturnRevision.objects.filter(daily_return__action=action)
        last_revision_id = action_revisions.aggregate(last=Max("pk"))["last"] or 0
        snapshot = release_snapshot(action, completeness=completeness, signed_off_only=signed_off_only)
        since = previous.last_revision_id if previous else 0
        revisions = list(
            action_revisions.filter(pk__gt=since, pk__lte=last_revision_id).order_by("pk").values(
                "daily_return__trust__ods_code", "daily_return__date", "version", "reason", "changes", "created_at")
        )
        release = Release.objects.create(
            action=action, number=previous.number + 1 if previous else 1, published_at=clock.now(),
            published_by=user, figures=snapshot,
            changes_since_previous=release_changes(previous, snapshot, revisions),
            last_revision_id=last_revision_id, note=note,
            # A reason is only recorded where it was needed: every day at or above the threshold
            # needs none, whatever was typed.
            incomplete_reason=reason if below else "", coverage_threshold=threshold,
        )
        audit_record(
            event="release.published", actor=user, target=release, request=request,
            summary=f"Published release {release.number} of {action.name}",
            details={"action": action.slug, "number": release.number, "signed_off_only": signed_off_only,
                     "acute_rescheduled": snapshot["national"]["totals"]["acute_rescheduled"],
                     "coverage": snapshot["national"]["coverage"], "incomplete_reason": release.incomplete_reason,
                     "via": "web" if request is not None else "command line"},
        )
    return release
