"""Reports: live figures for managers (and a trust's own page for its staff), and published releases
for everyone. Live figures are never public: anonymous visitors are sent to sign in, and people
without a manager role get 404, like anything outside their organisations.

Views stay thin: scope, validate the query string, call the selectors, render. Each page issues a
fixed number of queries whatever the number of trusts, days and returns (tests/reports/test_reports_pages.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from reports.charts import Point, bar_chart, line_chart
from reports.exports import WorkbookMeta, coverage_csv, publication, publication_workbook, to_csv
from reports.forms.releases import PublishReleaseForm
from reports.forms.reports import MissingDayForm, TableFilterForm
from reports.links import links_by_code
from reports.models import Release
from reports.selectors.loop import loop_context
from reports.selectors.reports import (
    AreaFigures,
    DayFigures,
    action_headline,
    action_season_comparison,
    action_tables,
    all_actions,
    average_sentence,
    average_staff_absent,
    cumulative_of,
    daily_figures,
    peak_of,
    per_action_totals,
    previous_action,
    recorded_actions,
    recorded_seasons,
    scope_overall,
    season_comparison,
    season_sentence,
    seasons_of,
    sort_areas,
    totals_of,
    trust_figures,
    with_completeness,
)
from reports.services.releases import ReleaseRefused, days_below_threshold, release_publish, release_snapshot
from strikeops.errors import show_on_form
from strikeops.public_cache import public_page
from trusts import clock
from trusts.dates import formatted
from trusts.figures import FIGURE_LABELS, RESCHEDULED_METRICS, SHORT_LABELS
from trusts.models import ICB, IndustrialAction, Region, Trust
from trusts.scoping import (
    AuthenticatedHttpRequest,
    get_scoped_trust_or_404,
    is_national_manager,
    managed_regions,
    trusts_figures_readable,
)
from trusts.selectors.completeness import (
    ReportStatus,
    completeness_by_action,
    completeness_by_day,
    coverage_of,
    missing_trusts,
    reported,
    reported_text,
    timeliness,
)
from trusts.selectors.returns import current_action

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Scope:
    """What a manager may read: all of England, or their regions' trusts (plus England totals)."""

    national: bool
    regions: list[Region]

    @property
    def trusts(self) -> QuerySet[Trust] | None:
        return None if self.national else Trust.objects.filter(icb__region__in=[r.pk for r in self.regions])

    @property
    def label(self) -> str:
        return "England" if self.national else ", ".join(r.name for r in self.regions)


SEASONS_PER_PAGE = 4
CUMULATIVE_ROWS_PER_PAGE = 25

def _manager_scope(request: HttpRequest) -> Scope:
    if is_national_manager(request.user):
        return Scope(national=True, regions=[])
    regions = list(managed_regions(request.user).order_by("name"))
    if not regions:
        raise Http404("Reports are for managers.")
    return Scope(national=False, regions=regions)


def _action_or_404(slug: str) -> IndustrialAction:
    """The one action with its strike days (two queries), not every action ever recorded, so a page
    about one action costs the same however long the history is (BENCHMARKS.md). An action with
    no strike days yet (no first day) has no report, as before."""
    action = (IndustrialAction.objects.filter(slug=slug, first_day__isnull=False)
              .prefetch_related("strike_days").first())
    if action is None:
        raise Http404("No such industrial action.")
    return action


def _charts(prefix: str, days: list[DayFigures], where: str) -> dict[str, Any]:
    rescheduled = [Point(formatted(d.date, "short_day_no_year"), d.figures.stated["total_rescheduled"]) for d in days]
    absent = [Point(formatted(d.date, "short_day_no_year"), d.figures.stated["staff_absent"]) for d in days]
    return {
        "rescheduled_chart": bar_chart(f"{prefix}-rescheduled", f"Appointments and procedures rescheduled per "
                                       f"strike day, {where}", rescheduled, "rescheduled"),
        "absence_chart": line_chart(f"{prefix}-absent", f"Staff absent through the action per strike day, {where}",
                                    absent, "staff absent"),
    }


# --- table sorting and filtering without JavaScript -----------------------------------------

TRUST_COLUMNS = [
    ("name", "Trust", False), ("code", "ODS code", False), ("icb", "ICB", False),
    *((name, SHORT_LABELS[name], True) for name in RESCHEDULED_METRICS),
    ("peak_staff_absent", "Peak staff absent", True), ("days_reported", "Days reported", True),
    ("status", "Status", False),
]
ICB_COLUMNS = [c for c in TRUST_COLUMNS if c[0] not in ("code", "icb", "days_reported", "status")]
ICB_COLUMNS[0] = ("name", "ICB", False)
ICB_COLUMNS.insert(1, ("region", "Region", False))


def _filter_trusts(trusts: QuerySet[Trust] | None, form: TableFilterForm) -> QuerySet[Trust] | None:
    """The trusts the filters leave (None: every trust, no filter; the selectors then skip a join)."""
    if trusts is None and not any(form.value(name) for name in ("region", "icb", "trust_type", "q")):
        return None
    trusts = trusts if trusts is not None else Trust.objects.all()
    if form.value("region"):
        trusts = trusts.filter(icb__region__code=form.value("region"))
    if form.value("icb"):
        trusts = trusts.filter(icb__code=form.value("icb"))
    if form.value("trust_type"):
        trusts = trusts.filter(trust_type=form.value("trust_type"))
    if form.value("q"):
        text = form.value("q").strip()
        trusts = trusts.filter(Q(name__icontains=text) | Q(ods_code__iexact=text))
    return trusts


def _sort_headers(request: HttpRequest, columns: list[tuple[str, str, bool]], sort: str, descending: bool,
                  param: str, anchor: str, *, first_page: bool = False) -> list[dict[str, Any]]:
    """Column headers as links that sort by the column (numbers largest first on the first click).
    With first_page, a new order starts again at page 1 of the table (page 4 of another order
    would be an arbitrary slice)."""
    headers = []
    for key, label, numeric in columns:
        current = key == sort
        next_desc = not descending if current else numeric
        query = request.GET.copy()
        query[param] = key
        query[param.replace("sort", "dir")] = "desc" if next_desc else "asc"
        if first_page:
            query.pop("page", None)
        headers.append({
            "label": label, "numeric": numeric, "href": f"?{query.urlencode()}#{anchor}",
            "aria_sort": ("descending" if descending else "ascending") if current else "",
            "next": "descending" if next_desc else "ascending",
        })
    return headers


def _trust_rows(trusts: list[AreaFigures], form: TableFilterForm) -> list[AreaFigures]:
    reported = form.value("reported")
    if reported == "missing":
        trusts = [t for t in trusts if t.missing_dates]
    elif reported == "complete":
        trusts = [t for t in trusts if not t.missing_dates]
    sort = form.value("sort") or "name"
    return sort_areas(trusts, sort, form.value("dir") == "desc")


# The trust table shows this many trusts a page: a national table of about 500 trusts was most of
# the page's time (BENCHMARKS.md); every trust is in the CSV and XLSX downloads.
TRUSTS_PER_PAGE = 50


@dataclass(frozen=True)
class ShownRow:
    """A region, ICB or trust row as its table states it: the texts of its seven figure cells (the
    six rescheduled totals, then the peak staff absent and its day). An area that sent no return
    states "Not submitted" for every figure (its sums over no returns are not zeros), through
    completeness.reported_text, the one place that decides it. Texts, not HTML: the templates
    write every cell (reports/_figure_cells.html and reports/_tables.html) and escape the texts."""

    row: AreaFigures
    figures: tuple[str, ...]
    href: str = ""


def _shown(row: AreaFigures, *, reported: bool, href: str = "") -> ShownRow:
    if not reported:
        return ShownRow(row, (reported_text(None),) * 7, href)
    totals, peak = row.totals, row.peak
    peak_day = f" ({formatted(peak.date, 'short_day_month')})" if peak.date else ""
    peak_text = reported_text(peak.staff_absent) + peak_day
    return ShownRow(row, (*(reported_text(getattr(totals, name)) for name in RESCHEDULED_METRICS), peak_text), href)


def _shown_areas(rows: Sequence[AreaFigures], link: Callable[[str], str]) -> list[ShownRow]:
    """Region or ICB rows with the link to each one's page (`link`: reports.links.links_by_code)."""
    return [_shown(row, reported=not row.no_returns, href=link(row.code)) for row in rows]


def _shown_trusts(action: IndustrialAction, rows: Sequence[AreaFigures]) -> list[ShownRow]:
    """Trust rows with the link to each trust's page."""
    link = links_by_code("reports:trust", action.slug)
    return [_shown(row, reported=bool(row.reported), href=link(row.code)) for row in rows]


def _select(field: forms.BoundField) -> dict[str, Any]:
    """A filter's select: its choices as text, and the one to mark selected."""
    return {"id": field.id_for_label, "name": field.html_name, "label": field.label,
            "current": str(field.value() or ""),
            "choices": [(str(value), label) for value, label in getattr(field.field, "choices", ())]}


def _table_context(
    request: HttpRequest, action: IndustrialAction, dates: list[dt.date], trusts: QuerySet[Trust] | None,
    regions: list[Region],
) -> dict[str, Any]:
    """Region, ICB and trust tables with their filter form, sort links and the trust table's page
    (three queries: the ICBs for the form, then action_tables()'s two). `trusts` is the reader's
    scope (None: all of England)."""
    icbs = list((ICB.objects.all() if trusts is None else ICB.objects.filter(pk__in=trusts.values("icb")))
                .order_by("name"))
    form = TableFilterForm(request.GET or None, regions=regions, icbs=icbs)
    tables = action_tables(action, dates, trusts, _filter_trusts(trusts, form))
    trust_rows = _trust_rows(tables.trusts, form)
    # Every row is summed and sorted (a sort is over the whole table); only one page is rendered.
    page: Page[AreaFigures] = Paginator(trust_rows, TRUSTS_PER_PAGE).get_page(request.GET.get("page"))
    region_rows, icb_rows = tables.regions, tables.icbs
    if form.value("region"):
        icb_rows = [row for row in icb_rows if row.region_code == form.value("region")]
    icb_sort = form.value("icb_sort") or "name"
    icb_rows = sort_areas(icb_rows, icb_sort, form.value("icb_dir") == "desc")
    return {
        "filter_form": form,
        "select_fields": [_select(form[name]) for name in ("region", "icb", "trust_type", "reported")],
        "trust_rows": list(page.object_list),
        "trust_shown": _shown_trusts(action, list(page.object_list)),
        "trust_page": page,
        "trust_count": page.paginator.count,
        "trust_headers": _sort_headers(request, TRUST_COLUMNS, form.value("sort") or "name",
                                       form.value("dir") == "desc", "sort", "trusts", first_page=True),
        "region_rows": region_rows,
        "region_shown": _shown_areas(region_rows, links_by_code("reports:region", action.slug)),
        "icb_rows": icb_rows,
        "icb_shown": _shown_areas(icb_rows, links_by_code("reports:icb", action.slug)),
        "icb_headers": _sort_headers(request, ICB_COLUMNS, icb_sort, form.value("icb_dir") == "desc",
                                     "icb_sort", "icbs"),
        "filtered": bool(request.GET.get("region") or request.GET.get("icb") or request.GET.get("trust_type")
                         or request.GET.get("q") or request.GET.get("reported")),
    }


# --- pages ---------------------------------------------------------------------------------


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every recorded action, latest first, with its headline and (for the latest) completeness."""
    scope = _manager_scope(request)
    recorded = all_actions()
    days = daily_figures(recorded)
    # England's coverage of every action, for its headline (one query).
    coverage = completeness_by_action(recorded)
    scoped_totals = per_action_totals(scope.trusts) if not scope.national else {}
    rows = []
    for action in reversed(recorded):
        action_days = with_completeness(days[action.pk], coverage.get(action.pk, []))
        figures = totals_of(action_days)
        rows.append({
            "action": action, "figures": figures, "peak": peak_of(action_days),
            "headline": action_headline(action, action_days),
            "scoped": scoped_totals.get(action.pk),
        })
    latest = current_action(clock.now())
    # England's is usually already read for the headlines; a region's is one more query.
    completeness = ((coverage[latest.pk] if scope.national and latest.pk in coverage
                     else completeness_by_day(latest, None if scope.national else scope.trusts))
                    if latest else [])
    return render(request, "reports/dashboard.html", {
        "scope": scope, "rows": rows, "latest": latest, "completeness": completeness,
        # The sentence under the table reads this; without it, 202 missing read as "every return received".
        "missing_total": sum(c.missing for c in completeness),
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"}],
    })


@login_required
def action_report(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    scope = _manager_scope(request)
    action = _action_or_404(slug)
    # Only this action's days (one query, from the rollups; its strike days are prefetched) and its
    # season comparison (one: the season's actions with their acute totals), so the page's queries
    # and time follow the one action, not the number of actions recorded, in its season or before.
    strike_dates = {action.pk: [day.date for day in action.strike_days.all()]}
    england = daily_figures([action], strike_days=strike_dates)[action.pk]
    dates = [d.date for d in england]
    completeness = completeness_by_day(action, scope.trusts)
    # England's headline states England's coverage, whoever reads it.
    with_completeness(england, completeness if scope.national else completeness_by_day(action))
    own_days = None if scope.national else with_completeness(
        daily_figures([action], scope.trusts)[action.pk], completeness)
    comparison = action_season_comparison(action)
    england_totals = totals_of(england)
    average = average_staff_absent(england)
    previous = previous_action(action)
    regions = scope.regions if not scope.national else list(Region.objects.order_by("name"))
    return render(request, "reports/action.html", {
        "scope": scope, "action": action,
        "headline": action_headline(action, england),
        "season_sentence": season_sentence(action, comparison), "comparison": comparison,
        "england": england, "england_totals": england_totals, "england_peak": peak_of(england),
        "england_coverage": coverage_of(england),
        "average_staff_absent": average, "average_sentence": average_sentence(average, previous),
        "previous_action": previous,
        "own_days": own_days, "own_totals": totals_of(own_days) if own_days else None,
        "own_peak": peak_of(own_days) if own_days else None,
        "own_coverage": coverage_of(own_days) if own_days else None,
        "completeness": completeness,
        "missing_total": sum(c.missing for c in completeness),
        "can_publish": scope.national,
        "releases": list(action.releases.order_by("-number").values("number", "published_at")),
        **_charts("england", england, "England"),
        **_table_context(request, action, dates, scope.trusts, regions),
        **loop_context(action, scope.trusts, completeness=completeness),
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"},
                        {"href": reverse("reports:dashboard"), "text": "Reports"}],
    })


@login_required
def region_report(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    scope = _manager_scope(request)
    region = get_object_or_404(Region, code=code.upper())
    if not scope.national and region not in scope.regions:
        raise Http404("No such region in your organisations.")
    action = _action_or_404(slug)
    trusts = Trust.objects.filter(icb__region=region)
    completeness = completeness_by_day(action, trusts)
    days = with_completeness(daily_figures([action], trusts)[action.pk], completeness)
    return render(request, "reports/region.html", {
        "scope": scope, "action": action, "region": region, "days": days, "totals": totals_of(days),
        "peak": peak_of(days), "completeness": completeness, "coverage": coverage_of(days),
        "missing_total": sum(c.missing for c in completeness),
        **_charts("region", days, region.name),
        **_table_context(request, action, [d.date for d in days], trusts, [region]),
        **loop_context(action, trusts, levels=("icb",), completeness=completeness),
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"},
                        {"href": reverse("reports:dashboard"), "text": "Reports"},
                        {"href": reverse("reports:action", args=[action.slug]), "text": action.name}],
    })


@login_required
def trust_report(request: AuthenticatedHttpRequest, slug: str, ods_code: str) -> HttpResponse:
    """A trust's own figures: its administrators (and communications staff) and its managers."""
    trust = get_scoped_trust_or_404(trusts_figures_readable(request.user), ods_code)
    action = _action_or_404(slug)
    own = Trust.objects.filter(pk=trust.pk)
    days = daily_figures([action], own)[action.pk]
    rows = trust_figures(action, [d.date for d in days], own)
    row = rows[0] if rows else None
    return render(request, "reports/trust.html", {
        "action": action, "trust": trust, "days": days, "totals": totals_of(days), "peak": peak_of(days),
        "row": row, **_charts("trust", days, trust.name),
        "on_time": next(iter(timeliness(action, by="trust", trusts=own)), None),
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"},
                        {"href": reverse("trusts:trust", args=[trust.ods_code]), "text": trust.name}],
    })


@login_required
def missing(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Trusts that owe a return for one strike day, with whom to contact, so they can be chased."""
    scope = _manager_scope(request)
    action = _action_or_404(slug)
    completeness = completeness_by_day(action, scope.trusts)
    choices = [(c.date.isoformat(), f"{formatted(c.date, 'day')} ({c.missing} missing)")
               for c in completeness]
    form = MissingDayForm(request.GET or None, choices=choices)
    chosen = form.cleaned_data["date"] if form.is_valid() else next(
        (c.date for c in completeness if c.missing), completeness[0].date if completeness else None)
    if chosen is None:
        raise Http404("This action has no strike days.")
    form = MissingDayForm(initial={"date": chosen.isoformat()}, choices=choices)
    return render(request, "reports/missing.html", {
        "scope": scope, "action": action, "form": None, "day_form": form, "chosen": chosen,
        "completeness": completeness, "trusts": list(missing_trusts(action, chosen, scope.trusts)),
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"},
                        {"href": reverse("reports:dashboard"), "text": "Reports"},
                        {"href": reverse("reports:action", args=[action.slug]), "text": action.name}],
    })


_T = TypeVar("_T")


def _page_of(items: list[_T], chosen: Page[Any]) -> Page[_T]:
    """A page of `items` (what the chosen page's objects were turned into) with the chosen page's
    number and paginator, for the page links. The cast: the paginator counts the chosen objects, not
    `items`, which its type cannot say."""
    return Page(items, chosen.number, cast("Paginator[_T]", chosen.paginator))


@login_required
def season_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = _manager_scope(request)
    # Newest seasons first, a few at a time: the page's seasons are chosen first, and only their
    # actions are read and summed (their comparison sentences need no other action).
    chosen = Paginator(recorded_seasons(), SEASONS_PER_PAGE).get_page(request.GET.get("page"))
    page = _page_of(seasons_of(list(chosen)), chosen)
    for season in page:
        actions = [a for a, _ in season.actions]
        totals = {a.pk: figures for a, figures in season.actions}
        season.sentences = [season_sentence(a, season_comparison(a, actions, totals)) for a in actions]
    return render(request, "reports/seasons.html", {
        "scope": scope, "seasons": page, "page": page,
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"},
                        {"href": reverse("reports:dashboard"), "text": "Reports"}],
    })


@login_required
def cumulative_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = _manager_scope(request)
    # Oldest first, 25 actions a page: the page's actions are chosen first, then summed with the
    # total of every action before them (the running total) and after them (All actions).
    chosen = Paginator(recorded_actions(), CUMULATIVE_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    found = cumulative_of(list(chosen))
    page = _page_of(found.rows, chosen)
    return render(request, "reports/cumulative.html", {
        "scope": scope, "rows": page, "page": page, "overall": found.overall,
        "scoped_overall": scope_overall(scope.trusts) if found.overall and scope.trusts is not None else None,
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"},
                        {"href": reverse("reports:dashboard"), "text": "Reports"}],
    })


def _download(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    scope = _manager_scope(request)
    action = _action_or_404(slug)
    dates = [d.date for d in action.strike_days.all()]
    name = f"{action.slug}-{'england' if scope.national else '-'.join(r.code.lower() for r in scope.regions)}"
    if kind == "csv":
        table = publication(action, dates, trust_figures(action, dates, scope.trusts), scope.label)
        response = HttpResponse(to_csv(table), content_type="text/csv; charset=utf-8")
    elif kind == "coverage.csv":
        days = completeness_by_day(action, scope.trusts)
        response = HttpResponse(coverage_csv([
            {"date": d.date.isoformat(), "returns_expected": d.expected, "returns_received": d.received,
             "returns_on_time": d.on_time} for d in days]), content_type="text/csv; charset=utf-8")
        name += "-coverage"
        kind = "csv"
    else:
        figures = release_snapshot(action, scope.trusts)
        response = HttpResponse(publication_workbook(figures, WorkbookMeta(
            title=f"{action.name}: figures by trust ({scope.label})", scope=scope.label)), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@login_required
def download_csv(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, "csv")


@login_required
def download_coverage_csv(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Coverage per strike day in the manager's scope: beside the CSV, which stays rectangular."""
    return _download(request, slug, "coverage.csv")


@login_required
def download_xlsx(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, "xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Check, then publish the figures as they stand as the next numbered release; below the
    coverage threshold only with the box ticked and a reason (release_publish checks it again)."""
    if not is_national_manager(request.user):
        raise Http404("Only national managers publish figures.")
    action = _action_or_404(slug)
    # The box decides which returns the coverage gate counts, so it is read before the form is built.
    signed_off_only = bool(action.requires_sign_off and request.POST.get("signed_off_only"))
    completeness = completeness_by_day(action, signed_off_only=signed_off_only)
    below = days_below_threshold(completeness)
    previous = action.releases.order_by("-number").first()
    number = previous.number + 1 if previous else 1
    form = PublishReleaseForm(request.POST if request.method == "POST" else None, below_threshold=bool(below),
                              number=number, requires_sign_off=action.requires_sign_off)
    if request.method == "POST" and form.is_valid():
        try:
            release = release_publish(
                action=action, user=request.user, note=form.cleaned_data["note"],
                allow_incomplete=form.cleaned_data.get("allow_incomplete", False),
                reason=form.cleaned_data.get("reason", ""), request=request, signed_off_only=signed_off_only)
        except ReleaseRefused as refused:
            # Returns arrived or went between the check page and the post: say why, publish nothing.
            show_on_form(form, refused)
        else:
            messages.success(request, f"Release {release.number} of {action.name} is published.")
            return redirect(release.get_absolute_url())
    days = with_completeness(daily_figures([action])[action.pk], completeness)
    totals = totals_of(days)
    return render(request, "reports/publish.html", {
        "action": action, "totals": totals, "peak": peak_of(days), "form": form,
        "headline": action_headline(action, days), "coverage": coverage_of(days),
        "below": below, "threshold": settings.RELEASE_COVERAGE_THRESHOLD,
        "previous": previous, "number": number, "completeness": completeness,
        "back_link": reverse("reports:action", args=[action.slug]),
    })


# --- published releases: public ------------------------------------------------------------


def _release_or_404(slug: str, number: int) -> Release:
    return get_object_or_404(Release.objects.select_related("action"), action__slug=slug, number=number)


@public_page
def release_list(request: HttpRequest) -> HttpResponse:
    releases = Release.objects.select_related("action").order_by("-published_at")
    return render(request, "reports/release_list.html", {"releases": releases})


def _stated_trust(area: dict[str, Any]) -> dict[str, Any]:
    """A release's trust row as the page states it. Releases published before the missing-vs-zero
    rule stored zeros and no status for a trust that sent nothing: stated here as not submitted."""
    if "status" in area or area["totals"].get("days_reported"):
        return area
    totals = {key: None if key in (*RESCHEDULED_METRICS, "peak_staff_absent") else value
              for key, value in area["totals"].items()}
    return {**area, "totals": totals, "status": ReportStatus.NOT_SUBMITTED}


@public_page
def release_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    release = _release_or_404(slug, number)
    figures = {**release.figures, "trusts": [_stated_trust(a) for a in release.figures.get("trusts", [])]}
    national_days = figures["national"]["days"]
    labels = [formatted(dt.date.fromisoformat(d["date"]), "short_day_no_year") for d in national_days]
    rescheduled = [Point(label, reported(d["total_rescheduled"], d["returns_received"]))
                   for label, d in zip(labels, national_days, strict=True)]
    absent = [Point(label, reported(d["staff_absent"], d["returns_received"]))
              for label, d in zip(labels, national_days, strict=True)]
    others = list(Release.objects.filter(action=release.action).order_by("number").values_list("number", flat=True))
    return render(request, "reports/release.html", {
        "release": release, "figures": figures, "national": figures["national"],
        "days": [{**d, **extra, "date": dt.date.fromisoformat(d["date"])}
                 for d, extra in zip(national_days, figures["days"], strict=True)],
        "changes": release.changes_since_previous, "others": others,
        "total_changes": [(FIGURE_LABELS.get(metric, "Peak staff absent"), old, new) for metric, (old, new)
                          in release.changes_since_previous.get("totals", {}).items()],
        "latest": others[-1] if others else None,
        "json_url": reverse("reports:release_json", args=[slug, number]),
        "csv_url": reverse("open_data:release_csv", args=[slug, number]),
        "coverage_csv_url": reverse("open_data:release_coverage_csv", args=[slug, number]),
        "xlsx_url": reverse("open_data:release_xlsx", args=[slug, number]),
        "coverage": figures["national"].get("coverage"),
        "average_sentence": average_sentence(figures["national"]["totals"].get("average_staff_absent"),
                                             figures["national"].get("previous_action")),
        "rescheduled_chart": bar_chart("release-rescheduled", "Appointments and procedures rescheduled per strike "
                                       "day, England", rescheduled, "rescheduled"),
        "absence_chart": line_chart("release-absent", "Staff absent through the action per strike day, England",
                                    absent, "staff absent"),
        "breadcrumbs": [{"href": reverse("home"), "text": "Home"},
                        {"href": reverse("reports:releases"), "text": "Published figures"}],
    })


@public_page
def release_json(request: HttpRequest, slug: str, number: int) -> JsonResponse:
    release = _release_or_404(slug, number)
    return JsonResponse({
        "action": release.action.slug, "number": release.number,
        "published_at": release.published_at.isoformat(),
        "url": request.build_absolute_uri(release.get_absolute_url()),
        "note": release.note, "incomplete_reason": release.incomplete_reason,
        "coverage_threshold": release.coverage_threshold,
        "figures": release.figures, "changes_since_previous": release.changes_since_previous,
    }, json_dumps_params={"ensure_ascii": False})
