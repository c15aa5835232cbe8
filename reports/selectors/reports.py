"""Reads for the national figures (DOMAIN.md, "National figures").

Every figure is summed by PostgreSQL in grouped queries (`.values(...).annotate(...).order_by()`),
one query per level, grouped by (level, strike day): a page's query count does not grow with the
number of trusts, days or returns. Python only rolls the per-day rows of one query up into action
totals and picks the peak day, which is not a sum. Only submitted returns count; drafts never do.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from operator import itemgetter
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from reports.models import ReturnRollup
from trusts.compiled import fetch, rows_for
from trusts.dates import date_span, days_list
from trusts.figures import ACUTE, DAY_METRICS, RESCHEDULED_METRICS, aggregate, aggregates
from trusts.models import (
    ICB,
    DailyReturn,
    IndustrialAction,
    Region,
    ReturnStatus,
    StaffGroup,
    StrikeDay,
    Trust,
    TrustStatus,
    TrustType,
)
from trusts.selectors.completeness import (
    DayCompleteness,
    ReportStatus,
    Timeliness,
    active_between,
    completeness_by_day,
    coverage_clause,
    coverage_of,
    expected_trusts,
    owes_return,
    report_status,
    reported,
    timeliness,
)
from trusts.strike_calendar import LONDON, season_of


def _sum(expression: Any, **extra: Any) -> Coalesce:
    return Coalesce(Sum(expression, **extra), 0)


# Annotations carry a prefix: a name equal to a field would shadow the field in later annotations.
PREFIX = "fig_"


def _aggregates() -> dict[str, Any]:
    """The annotations every grouped query over returns computes, so every level reads the same
    figures (trusts.figures defines them)."""
    return aggregates(FIGURE_NAMES, over="returns", prefix=PREFIX)


def _rollup_aggregates() -> dict[str, Any]:
    """_aggregates() read from ReturnRollup (reports/models/rollups.py, kept by database triggers):
    the same figures, summed over one row per action and strike day instead of every return, so
    national figures cost the same at 10,000 returns as at 5 million (BENCHMARKS.md)."""
    return aggregates(FIGURE_NAMES, over="rollups", prefix=PREFIX)


def national_rollups() -> QuerySet[ReturnRollup]:
    # A row whose returns were all deleted (or turned back to drafts) is zeros: as if absent.
    return ReturnRollup.objects.filter(returns__gt=0)


@dataclass
class Figures:
    """Summed figures for one group of returns (one day, or an action's days rolled up)."""

    staff_absent: int = 0
    staff_due: int = 0
    absent_with_due: int = 0
    workforce_returns: int = 0
    elective_rescheduled: int = 0
    outpatient_rescheduled: int = 0
    community_rescheduled: int = 0
    mental_health_rescheduled: int = 0
    acute_rescheduled: int = 0
    total_rescheduled: int = 0
    planned: int = 0
    planned_rescheduled: int = 0
    returns: int = 0
    nil_returns: int = 0
    late_returns: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Figures:
        # int(): a row read raw (trusts.compiled.fetch) has PostgreSQL's sums of big integers as
        # Decimal, which the ORM would have converted; every figure is a whole number.
        return cls(**{name: int(row[PREFIX + name]) for name in FIGURE_NAMES})

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def staff_absent_percent(self) -> float | None:
        """Staff absent as a percentage of staff due (None without workforce figures)."""
        return round(100 * self.absent_with_due / self.staff_due, 1) if self.staff_due else None

    @property
    def planned_maintained_percent(self) -> float | None:
        """% of planned elective and outpatient care that went ahead, where planned figures were given."""
        if not self.planned:
            return None
        return round(100 * (self.planned - self.planned_rescheduled) / self.planned, 1)

    def metrics(self, names: Iterable[str] = DAY_METRICS) -> dict[str, int]:
        return {name: getattr(self, name) for name in names}

    def reported_metrics(self, names: Iterable[str] = DAY_METRICS) -> dict[str, int | None]:
        """metrics() as every output states them: None for each figure when no return stands
        behind these sums (completeness.reported), 0 only when a return said 0."""
        return {name: reported(getattr(self, name), self.returns) for name in names}

    @property
    def stated(self) -> dict[str, int | None]:
        """reported_metrics() of every day metric, for templates ({{ f.stated.staff_absent|figure }})."""
        return self.reported_metrics(DAY_METRICS)

    def status(self, *, owed: int = 1) -> ReportStatus | None:
        """A trust's status for these returns (one day, or its days: owed is how many it owed)."""
        return report_status(returns=self.returns, nil_returns=self.nil_returns, late_returns=self.late_returns,
                             owed=owed)


# Figures' field names, read once: the report tables build hundreds of Figures a request.
FIGURE_NAMES = tuple(f.name for f in fields(Figures))


@dataclass
class DayFigures:
    date: dt.date
    figures: Figures
    # Filled from completeness_by_day where the caller asks for it.
    expected: int | None = None
    received: int | None = None
    on_time: int | None = None

    @property
    def missing(self) -> int | None:
        return None if self.expected is None or self.received is None else self.expected - self.received


@dataclass
class Peak:
    staff_absent: int
    date: dt.date | None


def peak_of(days: Iterable[DayFigures]) -> Peak:
    """The day with most staff absent (the earliest such day on a tie). Never a sum across days.
    With no staff absent on any day there is no peak day: (0, None)."""
    best = Peak(0, None)
    for day in sorted(days, key=lambda d: d.date):
        if day.figures.staff_absent > best.staff_absent:
            best = Peak(day.figures.staff_absent, day.date)
    return best


@dataclass
class AreaFigures:
    """One row of a region, ICB or trust table: action totals, the peak day and, for a trust, the
    strike days it owed and sent a return for; with per-day figures where the builder reads them
    (region_figures, icb_figures, trust_figures: releases, downloads, the API). The report pages'
    tables (action_tables) read action totals only: their rows' `days` are empty, never zeros."""

    code: str
    name: str
    days: dict[dt.date, Figures] = field(default_factory=dict)
    totals: Figures = field(default_factory=Figures)
    peak: Peak = field(default_factory=lambda: Peak(0, None))
    region_code: str = ""
    region_name: str = ""
    icb_code: str = ""
    icb_name: str = ""
    trust_type: str = ""
    contact_email: str = ""
    # Trust rows only: the strike days on which the trust owed a return.
    owed: set[dt.date] = field(default_factory=set)
    # The strike days with a submitted return (a draft is not a return).
    reported: set[dt.date] = field(default_factory=set)

    @property
    def days_reported(self) -> int:
        return len(self.reported)

    @property
    def missing_dates(self) -> list[dt.date]:
        """Days it owed a return and sent none."""
        return sorted(self.owed - self.reported)

    @property
    def no_returns(self) -> bool:
        """No return at all behind the row (a region in scope none of whose trusts sent one): its
        figures are "Not submitted", never 0."""
        return not self.totals.returns

    @property
    def nil_dates(self) -> list[dt.date]:
        return sorted(d for d, f in self.days.items() if f.nil_returns)

    def finish(self, strike_dates: Sequence[dt.date]) -> AreaFigures:
        """Fill days without returns with zeros, sum the action totals and find the peak."""
        for date in strike_dates:
            self.days.setdefault(date, Figures())
        self.totals = Figures()
        for figures in self.days.values():
            self.totals.add(figures)
        self.peak = peak_of(DayFigures(date, figures) for date, figures in self.days.items())
        self.reported = {date for date, figures in self.days.items() if figures.returns}
        self.days = dict(sorted(self.days.items()))
        return self

    def status_on(self, date: dt.date) -> ReportStatus | None:
        """A trust row's status for one strike day (None: it owed none and sent none)."""
        return self.days.get(date, Figures()).status(owed=int(date in self.owed))

    @property
    def status(self) -> ReportStatus | None:
        """A trust row's status over the action: not submitted while any owed return is missing
        (a return for a day it did not owe makes up for none), else the status of what it sent."""
        if self.missing_dates:
            return ReportStatus.NOT_SUBMITTED
        return self.totals.status(owed=0)


def submitted_returns(trusts: QuerySet[Trust] | None = None, *, signed_off_only: bool = False
                      ) -> QuerySet[DailyReturn]:
    """Submitted returns (in `trusts`); `signed_off_only`: only those signed off (a release of an
    action that requires sign-off may be restricted to them)."""
    queryset = DailyReturn.objects.filter(status=ReturnStatus.SUBMITTED)
    if signed_off_only:
        queryset = queryset.filter(signed_off_at__isnull=False)
    if trusts is not None:
        queryset = queryset.filter(trust__in=trusts.values("pk"))
    return queryset


def strike_dates(action: IndustrialAction) -> list[dt.date]:
    return list(action.strike_days.order_by("date").values_list("date", flat=True))


# --- England -------------------------------------------------------------------------------


def _national_days(*action_ids: int) -> QuerySet[ReturnRollup, Any]:
    """England's figures per action and strike day, from the rollups."""
    return (national_rollups().filter(action_id__in=action_ids)
            .values("action_id", "date").annotate(**_rollup_aggregates()).order_by())


def daily_figures(
    actions: Sequence[IndustrialAction], trusts: QuerySet[Trust] | None = None, *,
    strike_days: Mapping[int, Sequence[dt.date]] | None = None, signed_off_only: bool = False,
) -> dict[int, list[DayFigures]]:
    """Per action, per strike day (every strike day, zeros where nothing came in): two queries
    whatever the number of actions (the strike days, then one grouped query over the returns), or
    one where the caller gives every action's strike dates (from strike days it has prefetched)."""
    action_ids = [a.pk for a in actions]
    result: dict[int, dict[dt.date, DayFigures]] = {pk: {} for pk in action_ids}
    if strike_days is None:
        found: dict[int, list[dt.date]] = defaultdict(list)
        for action_id, date in StrikeDay.objects.filter(action_id__in=action_ids).values_list("action_id", "date"):
            found[action_id].append(date)
        strike_days = found
    for action_id in action_ids:
        for date in strike_days.get(action_id, ()):
            result[action_id][date] = DayFigures(date, Figures())
    rows: Iterable[Mapping[str, Any]]
    if trusts is None and not signed_off_only:
        # England's, from the rollups: compiled once per number of actions (trusts.compiled).
        columns, national = rows_for("daily_figures.national", _national_days, *action_ids)
        rows = ({name: row[index] for name, index in columns.items()} for row in national)
    else:
        rows = (
            submitted_returns(trusts, signed_off_only=signed_off_only).filter(action_id__in=action_ids)
            .values("action_id", "date").annotate(**_aggregates()).order_by()
        )
    for row in rows:
        result[row["action_id"]][row["date"]] = DayFigures(row["date"], Figures.from_row(row))
    return {pk: sorted(days.values(), key=lambda d: d.date) for pk, days in result.items()}


def with_completeness(days: list[DayFigures], completeness: Sequence[DayCompleteness]) -> list[DayFigures]:
    by_date = {c.date: c for c in completeness}
    for day in days:
        if day.date in by_date:
            found = by_date[day.date]
            day.expected, day.received, day.on_time = found.expected, found.received, found.on_time
    return days


def totals_of(days: Iterable[DayFigures]) -> Figures:
    totals = Figures()
    for day in days:
        totals.add(day.figures)
    return totals


def national_totals_of(action_ids: Sequence[int]) -> dict[int, Figures]:
    """England's totals of the given actions, one grouped query over the rollups (one row per
    action): for the season comparison, which needs action totals, never the actions' days."""
    rows = (national_rollups().filter(action_id__in=action_ids).values("action_id")
            .annotate(**_rollup_aggregates()).order_by())
    return {row["action_id"]: Figures.from_row(row) for row in rows}


def per_action_totals(trusts: QuerySet[Trust] | None = None) -> dict[int, Figures]:
    """Action totals of every recorded action, in one grouped query (England's from the rollups,
    a scope's from its returns)."""
    rows: Iterable[Mapping[str, Any]]
    if trusts is None:
        rows = national_rollups().values("action_id").annotate(**_rollup_aggregates()).order_by()
    else:
        rows = submitted_returns(trusts).values("action_id").annotate(**_aggregates()).order_by()
    return {row["action_id"]: Figures.from_row(row) for row in rows}


# --- region, ICB and trust tables ----------------------------------------------------------

REGION_KEYS = {"code": "trust__icb__region__code", "name": "trust__icb__region__name"}
ICB_KEYS = {"code": "trust__icb__code", "name": "trust__icb__name",
            "region_code": "trust__icb__region__code", "region_name": "trust__icb__region__name"}


@functools.lru_cache(maxsize=256)
def _short_icb_name(name: str) -> str:
    # Cached: building an ICB instance per trust row costs more than the rest of the row (there
    # are 42 ICB names).
    return ICB(name=name).short_name


def _area_rows(
    action: IndustrialAction, keys: dict[str, str], trusts: QuerySet[Trust] | None, signed_off_only: bool = False,
) -> dict[str, AreaFigures]:
    """One grouped query by (area, strike day); the per-day rows roll up into AreaFigures."""
    rows = (
        submitted_returns(trusts, signed_off_only=signed_off_only).filter(action=action)
        .values("date", *keys.values()).annotate(**_aggregates()).order_by()
    )
    areas: dict[str, AreaFigures] = {}
    for row in rows:
        code = row[keys["code"]]
        if code not in areas:
            areas[code] = AreaFigures(**{attr: row[lookup] for attr, lookup in keys.items()})
        areas[code].days[row["date"]] = Figures.from_row(row)
    return areas


def region_figures(
    action: IndustrialAction, dates: Sequence[dt.date], trusts: QuerySet[Trust] | None = None, *,
    signed_off_only: bool = False,
) -> list[AreaFigures]:
    areas = _area_rows(action, REGION_KEYS, trusts, signed_off_only)
    return sorted((a.finish(dates) for a in areas.values()), key=lambda a: a.name)


def icb_figures(
    action: IndustrialAction, dates: Sequence[dt.date], trusts: QuerySet[Trust] | None = None, *,
    signed_off_only: bool = False,
) -> list[AreaFigures]:
    areas = _area_rows(action, ICB_KEYS, trusts, signed_off_only)
    for area in areas.values():
        area.name = _short_icb_name(area.name)
    return sorted((a.finish(dates) for a in areas.values()), key=lambda a: (a.region_name, a.name))


def report_trusts(action: IndustrialAction, trusts: QuerySet[Trust] | None = None) -> QuerySet[Trust]:
    """The trusts an action's trust table lists: every trust that owed a return, and any other
    that sent one anyway (a trust closed since, say), narrowed to `trusts`."""
    sent = DailyReturn.objects.filter(action=action, status=ReturnStatus.SUBMITTED).values("trust_id")
    owed = owes_return(action)
    queryset = Trust.objects.filter(Q(pk__in=sent) if owed is None else owed | Q(pk__in=sent))
    if trusts is not None:
        queryset = queryset.filter(pk__in=trusts.values("pk"))
    return queryset.select_related("icb__region")


def trust_figures(
    action: IndustrialAction, dates: Sequence[dt.date], trusts: QuerySet[Trust] | None = None, *,
    signed_off_only: bool = False,
) -> list[AreaFigures]:
    """A row for every listed trust, with zeros and days_reported=0 for a trust that sent nothing
    (two queries: the trusts, each flagged with the days it owed a return, then the grouped returns)."""
    listed = report_trusts(action, trusts)
    # One boolean column per strike day, from the completeness rule itself (a subquery each), so
    # that "missing" here means exactly what completeness_by_day counts.
    owes = {
        f"owes_{index}": Case(When(pk__in=expected_trusts(action, date).values("pk"), then=Value(True)),
                              default=Value(False), output_field=BooleanField())
        for index, date in enumerate(dates)
    }
    rows_by_trust: dict[int, AreaFigures] = {}
    for trust in listed.annotate(**owes).order_by("name"):
        rows_by_trust[trust.pk] = AreaFigures(
            code=trust.ods_code, name=trust.name, trust_type=trust.get_trust_type_display(),
            icb_code=trust.icb.code, icb_name=trust.icb.short_name,
            region_code=trust.icb.region.code, region_name=trust.icb.region.name,
            contact_email=trust.contact_email,
            owed={date for index, date in enumerate(dates) if getattr(trust, f"owes_{index}")},
        )
    rows = (
        submitted_returns(signed_off_only=signed_off_only).filter(action=action, trust_id__in=listed.values("pk"))
        .values("trust_id", "date").annotate(**_aggregates()).order_by()
    )
    for row in rows:
        rows_by_trust[row["trust_id"]].days[row["date"]] = Figures.from_row(row)
    return [area.finish(dates) for area in rows_by_trust.values()]


@dataclass
class ActionTables:
    regions: list[AreaFigures]
    icbs: list[AreaFigures]
    trusts: list[AreaFigures]


# The sums of the page tables' rows: the rescheduled figures and the returns behind them (status).
TABLE_SUMS = (*RESCHEDULED_METRICS, "returns", "nil_returns", "late_returns")


def _peak(dates: Sequence[dt.date], absent: Sequence[int]) -> Peak:
    """peak_of() over per-day staff absent (dates in order): the most, the earliest on a tie, no
    day if nobody was absent."""
    most, day = 0, None
    for date, count in zip(dates, absent, strict=True):
        if count > most:
            most, day = count, date
    return Peak(most, day)


def _returns_by_trust(action_id: int, *dates: dt.date, trusts: QuerySet[Trust] | None = None
                      ) -> QuerySet[DailyReturn, Any]:
    """action_tables()'s grouped returns: per trust, TABLE_SUMS, then per strike day (in order) the
    returns sent and the staff absent, as columns."""
    per_day: dict[str, Any] = {}
    for index, date in enumerate(dates):
        per_day[f"sent_{index}"] = Count("pk", filter=Q(date=date))
        per_day[f"absent_{index}"] = _sum("staff_absent", filter=Q(date=date))
    return (submitted_returns(trusts).filter(action_id=action_id).values("trust_id")
            .annotate(**aggregates(TABLE_SUMS, over="returns", prefix=PREFIX), **per_day).order_by())


def action_tables(
    action: IndustrialAction, dates: Sequence[dt.date], trusts: QuerySet[Trust] | None = None,
    listed: QuerySet[Trust] | None = None,
) -> ActionTables:
    """The region, ICB and trust tables of an action's report page, in three queries whatever the
    number of trusts, days and returns, with the figures region_figures(), icb_figures() and
    trust_figures() give (tests/reports/test_reports_pagination.py checks that they agree).

    `trusts` is the reader's scope (None: England); `listed` the trusts the trust table may show
    (the scope narrowed by the page's filters; None: the scope). The trust table lists, as
    report_trusts() does, every listed trust that owed a return and any that sent one.

    The rows are AreaFigures with action totals, the peak and the days reported, without per-day
    figures (`days` empty): the page shows none.

    1. The trusts in scope with their ICB, region, open and close dates (and, under a filter,
       whether the trust table lists them), to which the completeness rule (active_between: what
       expected_trusts applies in SQL) gives the days each owed a return.
    2. The action's submitted returns in scope grouped by trust id alone: one row per trust, not
       per trust and day, with each strike day's returns and staff absent as columns (a trust has
       one return a day). Grouped by the integer id, not by the ICB's and region's names as well:
       that halved the query (BENCHMARKS.md). ICB and region rows are the sums of their trusts'
       rows (every figure is a sum; staff absent is summed per day before the peak day is taken),
       rather than two more grouped queries over the same returns.
    3. The regions in scope, so that every one is listed (all seven for England).
    """
    dates = sorted(dates)  # peak_of picks the earliest day on a tie
    scope = trusts if trusts is not None else Trust.objects.all()
    names = ("pk", "ods_code", "name", "trust_type", "open_date", "close_date", "status", "icb__code", "icb__name",
             "icb__region__code", "icb__region__name")
    in_scope = scope.order_by("name")
    if listed is not None:
        in_scope = in_scope.annotate(listed=Case(When(pk__in=listed.values("pk"), then=Value(True)),
                                                 default=Value(False), output_field=BooleanField()))
    # The rows as the driver gives them (ids, text, dates and booleans: trusts.compiled.fetch).
    trusts_query = in_scope.values(*names, *(("listed",) if listed is not None else ()))
    sql, params = trusts_query.query.sql_with_params()
    trust_columns, trust_list = fetch(sql, params, trusts_query.db)
    read = itemgetter(*(trust_columns[name] for name in names))
    listed_at = trust_columns.get("listed")
    # England's is compiled once per number of strike days (trusts.compiled); a scope's each time.
    columns, grouped = (rows_for("action_tables.by_trust", _returns_by_trust, action.pk, *dates) if trusts is None
                        else fetch(*_returns_by_trust(action.pk, *dates, trusts=trusts).query.sql_with_params()))
    # Each trust's figures as one tuple: the sums, then staff absent per strike day, then returns
    # per strike day. Every one is a sum, so an area's tuple is its members' tuples added up.
    days = len(dates)
    figures_of = itemgetter(*[columns[PREFIX + name] for name in TABLE_SUMS],
                            *[columns[f"absent_{index}"] for index in range(days)],
                            *[columns[f"sent_{index}"] for index in range(days)])
    trust_at = columns["trust_id"]
    by_trust: dict[int, tuple[int, ...]] = {row[trust_at]: figures_of(row) for row in grouped}
    sums = len(TABLE_SUMS)

    def fill(area: AreaFigures, figures: tuple[int, ...]) -> AreaFigures:
        area.totals = Figures(**dict(zip(TABLE_SUMS, figures[:sums], strict=True)))
        area.peak = _peak(dates, figures[sums:sums + days])
        area.reported = {date for date, sent in zip(dates, figures[sums + days:], strict=True) if sent}
        return area

    def area_row(area: AreaFigures, members: list[tuple[int, ...]]) -> tuple[AreaFigures, tuple[int, ...]]:
        # Column sums of the members' figures (sum() over zip: no Python loop per trust).
        summed = tuple(sum(column) for column in zip(*members, strict=True))
        return fill(area, summed), summed

    type_labels = dict(TrustType.choices)
    short_icb_names: dict[str, str] = {}
    all_dates = set(dates)
    icb_members: dict[str, list[tuple[int, ...]]] = defaultdict(list)
    icb_rows: dict[str, AreaFigures] = {}
    trust_rows = []
    for values in trust_list:
        pk, ods_code, name, trust_type, open_date, close_date, status, icb_code, icb_name, region_code, region_name = (
            read(values))
        if icb_code not in short_icb_names:
            short_icb_names[icb_code] = _short_icb_name(icb_name)
        sent = by_trust.get(pk)
        if sent is not None:
            icb_members[icb_code].append(sent)
            if icb_code not in icb_rows:
                icb_rows[icb_code] = AreaFigures(code=icb_code, name=short_icb_names[icb_code],
                                                 region_code=region_code, region_name=region_name)
        if listed_at is not None and not values[listed_at]:
            continue
        # report_trusts(): every trust that owed a return during the action, and any that sent one.
        if sent is None and not (action.first_day and action.last_day and active_between(
                open_date, close_date, status, action.first_day, action.last_day)):
            continue
        trust_row = AreaFigures(
            code=ods_code, name=name, trust_type=str(type_labels.get(trust_type, trust_type)),
            icb_code=icb_code, icb_name=short_icb_names[icb_code], region_code=region_code, region_name=region_name,
            # active_between()'s answer for every day, for the usual trust: never opened or closed.
            owed=set(all_dates) if open_date is None and close_date is None and status == TrustStatus.ACTIVE else {
                date for date in dates if active_between(open_date, close_date, status, date, date)},
        )
        trust_rows.append(fill(trust_row, sent) if sent else trust_row)

    region_members: dict[str, list[tuple[int, ...]]] = defaultdict(list)
    region_rows: dict[str, AreaFigures] = {}
    for code, icb in icb_rows.items():
        _, summed = area_row(icb, icb_members[code])
        region_members[icb.region_code].append(summed)
        region_rows.setdefault(icb.region_code, AreaFigures(code=icb.region_code, name=icb.region_name))
    for code, region in region_rows.items():
        area_row(region, region_members[code])
    # Every region in scope is listed (all seven for England), not only those that sent returns.
    regions = Region.objects.all() if trusts is None else Region.objects.filter(icbs__trusts__in=trusts.values("pk"))
    for code, name in regions.distinct().values_list("code", "name"):
        region_rows.setdefault(code, AreaFigures(code=code, name=name))
    return ActionTables(
        regions=sorted(region_rows.values(), key=lambda a: a.name),
        icbs=sorted(icb_rows.values(), key=lambda a: (a.region_name, a.name)),
        trusts=trust_rows,
    )


# --- sorting and filtering the tables (query-string driven, no JavaScript) ------------------

SORT_KEYS: dict[str, Any] = {
    "name": lambda a: a.name.lower(),
    "code": lambda a: a.code,
    "region": lambda a: (a.region_name, a.name.lower()),
    "icb": lambda a: (a.icb_name, a.name.lower()),
    "elective_rescheduled": lambda a: a.totals.elective_rescheduled,
    "outpatient_rescheduled": lambda a: a.totals.outpatient_rescheduled,
    "community_rescheduled": lambda a: a.totals.community_rescheduled,
    "mental_health_rescheduled": lambda a: a.totals.mental_health_rescheduled,
    "acute_rescheduled": lambda a: a.totals.acute_rescheduled,
    "total_rescheduled": lambda a: a.totals.total_rescheduled,
    "peak_staff_absent": lambda a: a.peak.staff_absent,
    "days_reported": lambda a: a.days_reported,
    "status": lambda a: (a.status or "", a.name.lower()),
}


def sort_areas(areas: Sequence[AreaFigures], sort: str, descending: bool) -> list[AreaFigures]:
    key = SORT_KEYS.get(sort, SORT_KEYS["name"])
    # Name as a second key keeps ties in a stable, readable order either way.
    ordered = sorted(areas, key=lambda a: a.name.lower())
    return sorted(ordered, key=key, reverse=descending)


# --- seasons and cumulative ----------------------------------------------------------------


@dataclass
class SeasonComparison:
    name: str
    is_winter: bool
    earlier_actions: list[IndustrialAction]
    earlier_acute_rescheduled: int
    acute_rescheduled: int

    @property
    def exceeds_all_earlier_combined(self) -> bool:
        return self.acute_rescheduled > self.earlier_acute_rescheduled

    @property
    def phrase(self) -> str:
        return "this winter" if self.is_winter else f"this season ({self.name})"


def season_key(action: IndustrialAction) -> tuple[str, dt.date, dt.date] | None:
    return season_of(action.first_day) if action.first_day else None


def chronological(actions: Iterable[IndustrialAction]) -> list[IndustrialAction]:
    return sorted((a for a in actions if a.first_day), key=lambda a: (a.first_day, a.pk))


def season_peers(actions: Iterable[IndustrialAction]) -> list[IndustrialAction]:
    """Every recorded action of the seasons of `actions`, in order (one query): all that
    season_comparison needs to compare them, without every action ever recorded."""
    return actions_of_seasons({key for a in actions if (key := season_key(a)) is not None})


SeasonKey = tuple[str, dt.date, dt.date]  # season_of(): (name, first day, last day)


def actions_of_seasons(keys: Iterable[SeasonKey]) -> list[IndustrialAction]:
    """Every recorded action whose first day falls in one of the seasons, in order (one query)."""
    condition = Q()
    for _, first, last in keys:
        condition |= Q(first_day__range=(first, last))
    return chronological(IndustrialAction.objects.filter(condition)) if condition else []


def recorded_seasons() -> list[SeasonKey]:
    """Every season with a recorded action, latest first, in one query that returns a row per month
    with an action (seasons are whole months, so season_of() of a month's first day is the season
    of every day in it), not one per action."""
    months = (IndustrialAction.objects.filter(first_day__isnull=False).annotate(month=TruncMonth("first_day"))
              .values_list("month", flat=True).distinct().order_by())
    return sorted({season_of(month) for month in months}, key=itemgetter(1), reverse=True)


def season_comparison(
    action: IndustrialAction, all_actions: Sequence[IndustrialAction], totals: dict[int, Figures],
) -> SeasonComparison | None:
    """How the action compares with all earlier actions of the same season combined (acute
    figures, as NHS England's comparisons use). No queries: the caller passes every action and
    per_action_totals()."""
    season = season_key(action)
    if season is None:
        return None
    ordered = chronological(all_actions)
    earlier = [a for a in ordered[:ordered.index(action)] if season_key(a) == season]
    return SeasonComparison(
        name=season[0], is_winter=season[0].startswith("Winter"), earlier_actions=earlier,
        earlier_acute_rescheduled=sum(totals.get(a.pk, Figures()).acute_rescheduled for a in earlier),
        acute_rescheduled=totals.get(action.pk, Figures()).acute_rescheduled,
    )


def action_season_comparison(action: IndustrialAction) -> SeasonComparison | None:
    """season_comparison() for one action in one query whatever the history: the actions of its
    season (what season_peers() reads, without the fields the comparison does not use), each with
    its England acute total from the rollups (a correlated subquery on the rollups' action index),
    the same sum per_action_totals() gives as acute_rescheduled."""
    season = season_key(action)
    if season is None:
        return None
    acute = (national_rollups().filter(action_id=OuterRef("pk")).order_by().values("action_id")
             .annotate(total=aggregate(ACUTE, over="rollups")).values("total"))
    recorded = chronological(
        IndustrialAction.objects.filter(first_day__range=season[1:]).only("id", "slug", "name", "first_day")
        .annotate(acute=Coalesce(Subquery(acute), 0)))
    # Figures carrying the acute count only: season_comparison reads nothing else.
    return season_comparison(action, recorded,
                             {a.pk: Figures(acute_rescheduled=a.acute) for a in recorded})  # type: ignore[attr-defined]  # annotated


@dataclass
class Season:
    name: str
    first_day: dt.date
    last_day: dt.date
    actions: list[tuple[IndustrialAction, Figures]]
    totals: Figures
    # Filled by callers that show how each action compares (season_sentence).
    sentences: list[str] = field(default_factory=list)


def seasons(all_actions: Sequence[IndustrialAction], totals: dict[int, Figures]) -> list[Season]:
    """Every season of `all_actions`, latest first, each with its actions in order."""
    grouped: dict[tuple[str, dt.date, dt.date], list[IndustrialAction]] = defaultdict(list)
    for action in chronological(all_actions):
        grouped[season_key(action)].append(action)  # type: ignore[index]
    result = []
    for (name, first, last), actions in grouped.items():
        season_totals = Figures()
        rows = []
        for action in actions:
            figures = totals.get(action.pk, Figures())
            season_totals.add(figures)
            rows.append((action, figures))
        result.append(Season(name, first, last, rows, season_totals))
    return sorted(result, key=lambda s: s.first_day, reverse=True)


@dataclass
class CumulativeRow:
    action: IndustrialAction
    figures: Figures
    cumulative: Figures


def seasons_of(keys: Sequence[SeasonKey]) -> list[Season]:
    """seasons() of the given seasons only (a page of recorded_seasons()), with England's figures:
    two queries whatever the history (the seasons' actions, then one grouped query over their
    rollups). Every action a season's comparison sentences need is of that season."""
    actions = actions_of_seasons(keys)
    return seasons(actions, national_totals_of([a.pk for a in actions]))


def cumulative(all_actions: Sequence[IndustrialAction], totals: dict[int, Figures], *,
               before: Figures | None = None) -> list[CumulativeRow]:
    """Running totals since the first recorded action, in order; `before` is the total of the
    recorded actions before the first of `all_actions` (when they are a page of them)."""
    running = Figures()
    if before is not None:
        running.add(before)
    rows = []
    for action in chronological(all_actions):
        figures = totals.get(action.pk, Figures())
        running.add(figures)
        snapshot = Figures()
        snapshot.add(running)
        rows.append(CumulativeRow(action, figures, snapshot))
    return rows


def recorded_actions() -> QuerySet[IndustrialAction]:
    """Every recorded action in chronological() order, as a query: a page of it is one LIMIT query."""
    return IndustrialAction.objects.filter(first_day__isnull=False).order_by("first_day", "pk")


@dataclass
class CumulativePage:
    rows: list[CumulativeRow]
    # England's totals over every recorded action ("All actions"); None when none is recorded.
    overall: Figures | None


def cumulative_of(page: Sequence[IndustrialAction]) -> CumulativePage:
    """cumulative() of a page of recorded_actions() (consecutive, in order) and England's overall
    totals, from one grouped query over the rollups with a group per action of the page, one for
    every action before it and one for every action after it: the page's figures are the same
    as cumulative() over every action gives for them, and the cost does not follow the history."""
    if not page:
        return CumulativePage([], None)
    first = page[0]
    before, after = -1, 0  # group keys no action id takes
    group = Case(
        When(action_id__in=[a.pk for a in page], then=F("action_id")),
        When(Q(action__first_day__lt=first.first_day) | Q(action__first_day=first.first_day, action_id__lt=first.pk),
             then=Value(before)),
        default=Value(after), output_field=IntegerField())
    rows = (national_rollups().filter(action__first_day__isnull=False).values(group=group)
            .annotate(**_rollup_aggregates()).order_by())
    totals = {row["group"]: Figures.from_row(row) for row in rows}
    overall = Figures()
    for figures in totals.values():
        overall.add(figures)
    return CumulativePage(cumulative(page, totals, before=totals.get(before, Figures())), overall)


def scope_overall(trusts: QuerySet[Trust]) -> Figures:
    """The rescheduled totals of a scope's submitted returns over every recorded action (a return
    is on a strike day, so its action is recorded): the cumulative page's line for a regional
    manager. One aggregate query; the rollups are England's, so this reads the scope's returns,
    from the index of submitted returns by trust alone (an index-only scan: it includes the
    rescheduled figures, trusts/models/returns.py), about 0.5 µs a return."""
    row = submitted_returns(trusts).aggregate(**aggregates(RESCHEDULED_METRICS, over="returns", prefix=PREFIX))
    return Figures(**{name: row[PREFIX + name] for name in RESCHEDULED_METRICS})


# --- the headline --------------------------------------------------------------------------


def headline_figure(count: int) -> tuple[int, bool]:
    """(figure to state, is it exact). Never overstates: below 100,000 floored to two significant
    figures, at or above 100,000 to three. 46,300 -> (46,000, False); 196,000 -> (196,000, True)."""
    if count <= 0:
        return 0, True
    significant = 2 if count < 100_000 else 3
    unit = 10 ** max(len(str(count)) - significant, 0)
    floored = count // unit * unit
    return floored, floored == count


def staff_group_possessive(staff_group: str) -> str:
    label = StaffGroup(staff_group).label if staff_group in StaffGroup.values else staff_group
    label = label[:1].lower() + label[1:]
    return f"{label}'" if label.endswith("s") else f"{label}'s"


def _last_date(day: StrikeDay) -> dt.date:
    """The calendar date an action is still on at its end: a walkout ending at midnight ended
    the day before (ending 00:00 2 May means "to 1 May")."""
    end = day.ends_at.astimezone(LONDON)
    return end.date() - dt.timedelta(days=1) if end.time() == dt.time(0, 0) else end.date()


def action_period(strike_days: Sequence[StrikeDay]) -> str:
    """'from 11 to 15 April 2023' (07:00 11 Apr to 07:00 15 Apr), 'on 15 and 20 December 2022'."""
    days = sorted(strike_days, key=lambda d: d.starts_at)
    if not days:
        return ""
    spans: list[list[StrikeDay]] = [[days[0]]]
    for day in days[1:]:
        if day.starts_at == spans[-1][-1].ends_at:
            spans[-1].append(day)
        else:
            spans.append([day])
    dates = [(span[0].starts_at.astimezone(LONDON).date(), _last_date(span[-1])) for span in spans]
    if all(first == last for first, last in dates) and len({first.year for first, _ in dates}) == 1:
        return f"on {days_list([first for first, _ in dates])}"
    parts = [f"{'on' if first == last else 'from'} {date_span(first, last)}" for first, last in dates]
    return f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else parts[0]


def headline(action: IndustrialAction, acute_rescheduled: int | None, strike_days: Sequence[StrikeDay],
             coverage: str = "") -> str:
    """DOMAIN.md's one plain-English sentence, from the acute count (elective + outpatient).
    `coverage` is completeness.coverage_clause() of the strike days: below 100% the sentence ends
    "(based on returns from N of M trusts)". None (no return at all) is never "no appointments"."""
    who = f"the {staff_group_possessive(action.staff_group)} industrial action {action_period(strike_days)}"
    if acute_rescheduled is None:
        return f"No returns have been received yet for {who}."
    figure, exact = headline_figure(acute_rescheduled)
    during = f"during {who}{coverage}"
    if figure == 0:
        return f"No appointments or procedures were rescheduled {during}."
    if figure == 1:
        return f"1 appointment or procedure was rescheduled {during}."
    stated = f"{figure:,}" if exact else f"More than {figure:,}"
    return f"{stated} appointments and procedures were rescheduled {during}."


def action_headline(action: IndustrialAction, days: Sequence[DayFigures]) -> str:
    """headline() of an action from its per-day figures, ending with the coverage when the days
    carry completeness (with_completeness) and it is below 100%. Strike days: prefetched or one query."""
    totals = totals_of(days)
    return headline(action, reported(totals.acute_rescheduled, totals.returns), list(action.strike_days.all()),
                    coverage_clause(days))


def season_sentence(action: IndustrialAction, comparison: SeasonComparison | None) -> str:
    if comparison is None:
        return ""
    who = f"The {staff_group_possessive(action.staff_group)} industrial action"
    if not comparison.earlier_actions:
        return f"{who} was the first industrial action {comparison.phrase}."
    if comparison.exceeds_all_earlier_combined:
        return f"{who} had a greater impact than all other industrial action {comparison.phrase} combined."
    this, earlier = comparison.acute_rescheduled, comparison.earlier_acute_rescheduled
    count = len(comparison.earlier_actions)
    earlier_text = "the earlier action" if count == 1 else f"the {count} earlier actions combined"
    relation = "the same impact as" if this == earlier else "less impact than"
    return (f"{who} had {relation} all other industrial action {comparison.phrase} combined: "
            f"{this:,} acute appointments and procedures were rescheduled, against {earlier:,} during "
            f"{earlier_text}.")


# --- the national_totals contract ----------------------------------------------------------


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def average_staff_absent(days: Iterable[DayFigures]) -> float | None:
    """NHS England's 2025 measure: the mean of the daily staff absent over the strike days with
    returns (a day nobody reported is not a day of 0), to one decimal; None without any."""
    counted = [d.figures.staff_absent for d in days if d.figures.returns]
    return round(sum(counted) / len(counted), 1) if counted else None


def previous_action(action: IndustrialAction) -> dict[str, Any] | None:
    """The latest earlier action of the same staff group, with the figures the comparison states
    ({"slug", "acute_rescheduled", "average_staff_absent"}), or None: one query, from the rollups
    (one row per action and strike day with returns: average_staff_absent()'s days)."""
    if action.first_day is None:
        return None
    # Compiled once (trusts.compiled); read raw, so the rollups' sums come as Decimal: int().
    _, found = rows_for("previous_action", _previous_action, action.staff_group, action.first_day)
    if not found:
        return None
    slug, acute, absent, days = found[0]
    return {"slug": slug, "acute_rescheduled": int(acute) if days else None,
            "average_staff_absent": round(int(absent) / days, 1) if days else None}


def _previous_action(staff_group: str, first_day: dt.date) -> QuerySet[IndustrialAction, Any]:
    """previous_action()'s one query: the latest earlier action of the staff group, with its
    England acute total, staff absent summed over its days and number of days with returns."""

    def rollup(expression: Any) -> Subquery:
        return Subquery(national_rollups().filter(action_id=OuterRef("pk")).order_by().values("action_id")
                        .annotate(value=expression).values("value"))

    return (
        IndustrialAction.objects.filter(staff_group=staff_group, first_day__lt=first_day)
        .order_by("-first_day", "-pk")
        .annotate(acute=rollup(aggregate(ACUTE, over="rollups")),
                  absent=rollup(aggregate("staff_absent", over="rollups")), reported_days=rollup(Count("pk")))
        .values("slug", "acute", "absent", "reported_days")[:1]
    )


def _figure(value: float) -> str:
    # 17236.0 -> "17,236"; 17236.4 -> "17,236.4": the one decimal only where there is one.
    return f"{value:,.1f}".removesuffix(".0")


def average_sentence(average: float | None, previous: dict[str, Any] | None) -> str:
    """"On average 17,236 staff were absent each day, up from 16,162 in the previous round."."""
    if average is None:
        return ""
    sentence = f"On average {_figure(average)} staff were absent each day"
    before = previous.get("average_staff_absent") if previous else None
    if before is None:
        return sentence + "."
    if average == before:
        return f"{sentence}, the same as in the previous round."
    direction = "up" if average > before else "down"
    return f"{sentence}, {direction} from {_figure(before)} in the previous round."


def action_entry(
    action: IndustrialAction, days: list[DayFigures], comparison: SeasonComparison | None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One action in DOMAIN.md's national_totals JSON shape (days must carry completeness;
    `previous` is previous_action()'s). A day nobody reported has null figures, never zeros."""
    totals = totals_of(days)
    peak = peak_of(days)
    return {
        "slug": action.slug,
        "name": action.name,
        "strike_days": [d.date.isoformat() for d in days],
        "days": [
            {"date": d.date.isoformat(), **d.figures.reported_metrics(DAY_METRICS),
             "returns_expected": d.expected or 0, "returns_received": d.received or 0,
             "returns_on_time": d.on_time or 0}
            for d in days
        ],
        "totals": {**totals.reported_metrics(RESCHEDULED_METRICS),
                   "peak_staff_absent": reported(peak.staff_absent, totals.returns),
                   "peak_staff_absent_date": _iso(peak.date),
                   "average_staff_absent": average_staff_absent(days),
                   "planned_care_maintained_percent": totals.planned_maintained_percent},
        "coverage": coverage_of(days).as_json(),
        "previous_action": previous,
        "headline": action_headline(action, days),
        "season": {
            "name": comparison.name if comparison else None,
            "earlier_actions_acute_rescheduled": comparison.earlier_acute_rescheduled if comparison else 0,
            "exceeds_all_earlier_combined": comparison.exceeds_all_earlier_combined if comparison else False,
        },
    }


def all_actions() -> list[IndustrialAction]:
    """Every recorded action with its strike days (two queries), in chronological order."""
    return chronological(IndustrialAction.objects.prefetch_related("strike_days"))


def national_totals(slugs: Sequence[str] | None = None) -> dict[str, Any]:
    """DOMAIN.md's national_totals figures. Raises IndustrialAction.DoesNotExist naming any unknown
    slug. `cumulative` always covers every recorded action, whichever actions are listed."""
    if slugs:
        # Only the listed actions and the actions of their seasons (what the comparison needs), not
        # every action ever recorded: the cost follows what is asked for, not the length of history.
        by_slug = {a.slug: a for a in IndustrialAction.objects.filter(slug__in=set(slugs)).prefetch_related(
            "strike_days") if a.first_day}
        unknown = [s for s in slugs if s not in by_slug]
        if unknown:
            raise IndustrialAction.DoesNotExist(f"No industrial action with slug: {', '.join(unknown)}")
        chosen = chronological(by_slug.values())
        recorded = season_peers(chosen)
        totals = national_totals_of([a.pk for a in recorded])
        overall = Figures.from_row(national_rollups().aggregate(**_rollup_aggregates()))
    else:
        chosen = recorded = all_actions()
        totals = per_action_totals()
        overall = Figures()
        for figures in totals.values():
            overall.add(figures)
    days = daily_figures(chosen)
    entries = []
    for action in chosen:
        # One query per listed action: the command lists a handful of actions, never trusts or days.
        action_days = with_completeness(days[action.pk], completeness_by_day(action))
        entries.append(with_timeliness(action_entry(action, action_days, season_comparison(action, recorded, totals),
                                                    previous_action(action)), action))
    return {"actions": entries, "cumulative": overall.metrics(RESCHEDULED_METRICS)}


def with_timeliness(entry: dict[str, Any], action: IndustrialAction) -> dict[str, Any]:
    """Add on time, late, missing and the on-time rate to each day of a national_totals entry, and
    over the action as "timeliness" (new keys only; one grouped query)."""
    days = {t.code: t for t in timeliness(action, by="day")}
    for day in entry["days"]:
        found = days.get(day["date"])
        if found is None:
            continue
        day.setdefault("returns_on_time", found.on_time)
        day.update(returns_late=found.late, returns_missing=found.missing, on_time_rate=found.on_time_rate)
    overall = Timeliness(code=action.slug, name=action.name, expected=sum(t.expected for t in days.values()),
                         on_time=sum(t.on_time for t in days.values()), late=sum(t.late for t in days.values()))
    entry["timeliness"] = {"returns_expected": overall.expected, "returns_on_time": overall.on_time,
                           "returns_late": overall.late, "returns_missing": overall.missing,
                           "on_time_rate": overall.on_time_rate}
    return entry
