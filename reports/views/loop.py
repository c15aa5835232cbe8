"""Report pages and sections for the manager-trust loop (docs/reports.md, docs/returns.md): on-time
rates per strike day, region and ICB; signed-off coverage; queries per action and the figures under
query; outliers across trusts; the ICB page. Managers only, within their scope (404 otherwise)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from reports.selectors.loop import loop_context
from reports.selectors.reports import daily_figures, peak_of, totals_of, with_completeness
from reports.views.reports import _action_or_404, _charts, _manager_scope, _table_context
from trusts.models import ICB, IndustrialAction, Trust
from trusts.selectors.completeness import completeness_by_day
from trusts.selectors.outliers import MIN_PEERS, OUTLIER_SCORE, outliers
from trusts.selectors.queries import figures_under_query, unresolved_queries


def _breadcrumbs(action: IndustrialAction) -> list[dict[str, str]]:
    return [{"href": reverse("home"), "text": "Home"},
            {"href": reverse("reports:dashboard"), "text": "Reports"},
            {"href": reverse("reports:action", args=[action.slug]), "text": action.name}]


@login_required
def outliers_view(request: HttpRequest, slug: str) -> HttpResponse:
    scope = _manager_scope(request)
    action = _action_or_404(slug)
    found = outliers(action, scope.trusts)
    return render(request, "reports/outliers.html", {
        "scope": scope, "action": action, "outliers": found, "score": OUTLIER_SCORE, "min_peers": MIN_PEERS,
        "breadcrumbs": _breadcrumbs(action)})


@login_required
def queries_view(request: HttpRequest, slug: str) -> HttpResponse:
    scope = _manager_scope(request)
    action = _action_or_404(slug)
    trusts = scope.trusts if scope.trusts is not None else Trust.objects.all()
    marked = figures_under_query(action, scope.trusts)
    return render(request, "reports/queries.html", {
        "scope": scope, "action": action, "queries": list(unresolved_queries(trusts, action)),
        "marked_count": sum(len(figures) for figures in marked.values()), "breadcrumbs": _breadcrumbs(action)})


@login_required
def icb_report(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """An ICB's figures, like the region page: per strike day, completeness and on-time, its trusts."""
    scope = _manager_scope(request)
    icb = get_object_or_404(ICB.objects.select_related("region"), code=code.upper())
    if not scope.national and icb.region not in scope.regions:
        raise Http404("No such ICB in your organisations.")
    action = _action_or_404(slug)
    trusts = Trust.objects.filter(icb=icb)
    completeness = completeness_by_day(action, trusts)
    days = with_completeness(daily_figures([action], trusts)[action.pk], completeness)
    return render(request, "reports/icb.html", {
        "scope": scope, "action": action, "icb": icb, "days": days, "totals": totals_of(days),
        "peak": peak_of(days), "completeness": completeness, "missing_total": sum(c.missing for c in completeness),
        **_charts("icb", days, icb.short_name),
        **_table_context(request, action, [d.date for d in days], trusts, [icb.region]),
        **loop_context(action, trusts, levels=("trust",), completeness=completeness),
        "breadcrumbs": [*_breadcrumbs(action),
                        {"href": reverse("reports:region", args=[action.slug, icb.region.code]),
                         "text": icb.region.name}],
    })
