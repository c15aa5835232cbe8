"""Completeness of returns: who owes a return for a strike day, who has sent one, who has not,
and the one rule every output follows for a figure nobody reported (DOMAIN.md, "Missing is never
zero"): `report_status`, `reported` and `coverage_of` below.

Reused by the reports, the downloads, releases, the API and notices. Every aggregate is one query:
the per-day counts are correlated subqueries on the strike days, never a Python loop over days or
trusts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db import connection
from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextChoices,
)

from trusts.dates import formatted
from trusts.models import (
    ICB,
    DailyReturn,
    IndustrialAction,
    Membership,
    Region,
    ReturnStatus,
    Role,
    StrikeDay,
    Trust,
    TrustStatus,
)

# --- missing is never zero ------------------------------------------------------------------


class ReportStatus(TextChoices):
    """What a trust's row says about a strike day (or, for a row over the action, its days)."""

    SUBMITTED = "submitted", "Submitted"
    NIL_RETURN = "nil return", "Nil return"
    NOT_SUBMITTED = "not submitted", "Not submitted"
    LATE = "late", "Late"


# How HTML shows a figure nobody reported (never "0"; a confirmed nil return shows 0).
NOT_SUBMITTED_TEXT = "Not submitted"

Number = TypeVar("Number", int, float)


def report_status(*, returns: int, nil_returns: int = 0, late_returns: int = 0,
                  owed: int = 1) -> ReportStatus | None:
    """The status of a trust's submitted returns: for one strike day (owed 1 or 0, returns 0 or 1),
    or over the strike days of an action (owed: the days it owed a return). Not submitted when an
    owed return is missing; nil return when every return it sent was nil; late when any came late.
    None: it owed nothing and sent nothing. `returns` counts submitted returns; a draft is none."""
    if not owed and not returns:
        return None
    if not returns or returns < owed:
        return ReportStatus.NOT_SUBMITTED
    if nil_returns == returns:
        return ReportStatus.NIL_RETURN
    if late_returns:
        return ReportStatus.LATE
    return ReportStatus.SUBMITTED


def reported(value: Number | None, returns: int) -> Number | None:
    """A figure as every output states it: None (an empty cell, JSON null, "Not submitted") when
    no return stands behind it, whatever a SUM() over no rows said; the value (0 included) when
    at least one return does. A nil return is a return: its 0 is stated."""
    return value if returns else None


def reported_text(value: int | float | None) -> str:
    """A figure for HTML: "Not submitted" for None, never "0"."""
    return NOT_SUBMITTED_TEXT if value is None else f"{value:,}"


@dataclass(frozen=True)
class Coverage:
    """How many of the expected returns an aggregate is based on (per action: over its strike days)."""

    returns_expected: int
    returns_received: int

    @property
    def percent(self) -> float:
        """Floored to one decimal, so that 2,069 of 2,070 never reads as 100%."""
        if not self.returns_expected:
            return 100.0
        return math.floor(1000 * self.returns_received / self.returns_expected) / 10

    @property
    def complete(self) -> bool:
        return self.returns_received >= self.returns_expected

    def as_json(self) -> dict[str, int | float]:
        return {"returns_expected": self.returns_expected, "returns_received": self.returns_received,
                "percent": self.percent}


@dataclass(frozen=True)
class DayCompleteness:
    date: dt.date
    deadline: dt.datetime
    expected: int
    received: int
    missing: int
    # Submitted returns that were not late (the deadline is DOMAIN.md's 11:00 next working day).
    on_time: int = 0

    @property
    def percent_received(self) -> int:
        """Rounded down, so that 208 of 209 never reads as 100%."""
        return (self.received * 100) // self.expected if self.expected else 100

    @property
    def coverage(self) -> Coverage:
        return Coverage(self.expected, self.received)


class CountedDay(Protocol):
    """A strike day with its returns expected and received (DayCompleteness, reports.DayFigures)."""

    @property
    def date(self) -> dt.date: ...
    @property
    def expected(self) -> int | None: ...
    @property
    def received(self) -> int | None: ...


Day = TypeVar("Day", bound=CountedDay)


def coverage_of(days: Iterable[CountedDay]) -> Coverage:
    """An action's coverage: returns received of returns expected, over all its strike days."""
    days = list(days)
    return Coverage(sum(d.expected or 0 for d in days), sum(d.received or 0 for d in days))


def least_covered(days: Sequence[Day]) -> Day | None:
    """The strike day with the smallest share of its returns in (the earliest on a tie): what a
    headline's "(based on returns from N of M trusts)" states, since a figure over the action is
    only as complete as its least complete day."""
    incomplete = [d for d in days if (d.received or 0) < (d.expected or 0)]
    if not incomplete:
        return None
    return min(incomplete, key=lambda d: ((d.received or 0) / (d.expected or 1), d.date))


def coverage_clause(days: Sequence[CountedDay]) -> str:
    """" (based on returns from 187 of 207 trusts)" below 100%, "" when every return is in."""
    day = least_covered(days)
    if day is None:
        return ""
    return f" (based on returns from {day.received or 0:,} of {day.expected or 0:,} trusts)"


def _active_on(date_ref: object) -> Q:
    """Trusts open on a date: opened on or before it, and not closed by then.

    A trust without a close date counts only while its status is active; ODS sometimes marks a
    trust closed before it publishes the close date, and such a trust owes nothing."""
    return (Q(open_date__isnull=True) | Q(open_date__lte=date_ref)) & (
        Q(close_date__gt=date_ref) | Q(close_date__isnull=True, status=TrustStatus.ACTIVE)
    )


def _active_during(first: dt.date, last: dt.date) -> Q:
    return (Q(open_date__isnull=True) | Q(open_date__lte=last)) & (
        Q(close_date__gt=first) | Q(close_date__isnull=True, status=TrustStatus.ACTIVE)
    )


def _day_date(day: StrikeDay | dt.date) -> dt.date:
    return day.date if isinstance(day, StrikeDay) else day


def owes_return(action: IndustrialAction, day: StrikeDay | dt.date | None = None) -> Q | None:
    """The condition on a trust's own columns that expected_trusts() filters on (None: the action
    has no strike days, so nobody owes anything). For annotating trusts a query already reads, as a
    plain CASE rather than an IN subquery over the trusts table."""
    if day is not None:
        return _active_on(_day_date(day))
    if action.first_day is None or action.last_day is None:
        return None
    return _active_during(action.first_day, action.last_day)


def expected_trusts(action: IndustrialAction, day: StrikeDay | dt.date | None = None) -> QuerySet[Trust]:
    """Trusts that owe a return: every trust active on the strike day owes the rescheduled-activity
    part (the workforce part only comes from affected trusts, but the return is owed either way).
    Without a day: trusts active on at least one of the action's strike days."""
    condition = owes_return(action, day)
    return Trust.objects.none() if condition is None else Trust.objects.filter(condition)


def completeness_by_day(action: IndustrialAction, trusts: QuerySet[Trust] | None = None, *,
                        signed_off_only: bool = False) -> list[DayCompleteness]:
    """Returns expected, received (submitted) and missing per strike day, in one query.

    `trusts` narrows the count to a scope (a region's trusts, say); received counts only
    returns from trusts that were expected that day, so missing is never negative.
    `signed_off_only` counts only signed-off returns as received (a signed-off-only release)."""
    return completeness_by_action([action], trusts, signed_off_only=signed_off_only).get(action.pk, [])


def _active_on_sql(trust: str, date: str) -> tuple[str, list[Any]]:
    """_active_on() in SQL, for the raw queries below: `trust` is the trusts table's alias and
    `date` an SQL date expression. One text for both, so that the two cannot drift
    (tests/trusts/test_completeness.py checks them against _active_on)."""
    return (f"({trust}.open_date IS NULL OR {trust}.open_date <= {date}) "
            f"AND ({trust}.close_date > {date} OR ({trust}.close_date IS NULL AND {trust}.status = %s))",
            [TrustStatus.ACTIVE.value])


def _scope_sql(trusts: QuerySet[Trust] | None, trust: str) -> tuple[str, list[Any]]:
    """" AND <trust>.id IN (the scope's ids)" for a raw query, or nothing for all of England."""
    if trusts is None:
        return "", []
    inner, params = trusts.order_by().values("pk").query.sql_with_params()
    return f" AND {trust}.id IN ({inner})", list(params)


def completeness_by_action(
    actions: Iterable[IndustrialAction], trusts: QuerySet[Trust] | None = None, *,
    signed_off_only: bool = False,
) -> dict[int, list[DayCompleteness]]:
    """completeness_by_day() of several actions in the same one query (a page listing actions
    with their headlines' coverage), by action id.

    Per strike day, the trusts in scope that owe a return (_active_on) and, in one lateral
    subquery over the day's submitted returns, how many of those trusts sent one and how many on
    time. Raw SQL, its text fixed for each scope: built through the ORM (three correlated
    subqueries) it cost as much Python as the database's work (BENCHMARKS.md)."""
    tables = {model: model._meta.db_table for model in (Trust, StrikeDay, DailyReturn)}
    owed_sql, owed_params = _active_on_sql("t", "d.date")
    scope_sql, scope_params = _scope_sql(trusts, "t")
    signed_off = " AND r.signed_off_at IS NOT NULL" if signed_off_only else ""
    sql = (
        "SELECT d.action_id, d.date, d.deadline, "  # noqa: S608  # nosec B608 # fixed names; values are parameters
        f"(SELECT COUNT(*) FROM {tables[Trust]} t WHERE {owed_sql}{scope_sql}), x.received, x.on_time "
        f"FROM {tables[StrikeDay]} d CROSS JOIN LATERAL ("
        "SELECT COUNT(*) AS received, COUNT(*) FILTER (WHERE NOT r.is_late) AS on_time "
        f"FROM {tables[DailyReturn]} r JOIN {tables[Trust]} t ON t.id = r.trust_id "
        f"WHERE r.strike_day_id = d.id AND r.status = %s{signed_off} AND {owed_sql}{scope_sql}) x "
        "WHERE d.action_id = ANY(%s) ORDER BY d.action_id, d.date"
    )
    params = [*owed_params, *scope_params, ReturnStatus.SUBMITTED.value, *owed_params, *scope_params,
              [a.pk for a in actions]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[int, list[DayCompleteness]] = {}
    for action_id, date, deadline, expected, received, on_time in rows:
        result.setdefault(action_id, []).append(DayCompleteness(
            date=date, deadline=deadline, expected=expected, received=received, missing=expected - received,
            on_time=on_time))
    return result


def trust_administrators() -> Prefetch[Any, Any, Any]:
    """Prefetch each trust's administrators onto `trust.administrator_memberships` (one extra query)."""
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(role=Role.TRUST_ADMIN, user__is_active=True)
        .select_related("user").order_by("user__email"),
        to_attr="administrator_memberships",
    )


def missing_trusts(
    action: IndustrialAction, day: StrikeDay | dt.date, trusts: QuerySet[Trust] | None = None,
) -> QuerySet[Trust]:
    """Trusts that owed a return for the day and have not submitted one (a draft does not count).

    Each trust comes with its region and its administrators (`trust.administrator_memberships`,
    each with `.user.email`) so that a page or a reminder can chase them without more queries."""
    date = _day_date(day)
    submitted = DailyReturn.objects.filter(action=action, date=date, status=ReturnStatus.SUBMITTED)
    queryset = expected_trusts(action, date)
    if trusts is not None:
        queryset = queryset.filter(pk__in=trusts.values("pk"))
    return (
        queryset.exclude(pk__in=submitted.values("trust_id"))
        .select_related("icb__region")
        .prefetch_related(trust_administrators())
        .order_by("icb__region__name", "name")
    )


@dataclass
class DayMissing:
    strike_day: StrikeDay
    expected: int
    trusts: list[Trust]

    @property
    def received(self) -> int:
        return self.expected - len(self.trusts)


def active_between(open_date: dt.date | None, close_date: dt.date | None, status: str,
                   first: dt.date, last: dt.date) -> bool:
    """The rule of _active_on (first == last) and _active_during, for a trust's columns already read:
    open on at least one day from first to last."""
    opened = open_date is None or open_date <= last
    if close_date is not None:
        return opened and close_date > first
    return opened and status == TrustStatus.ACTIVE


def _active_in_python(trust: Trust, date: dt.date) -> bool:
    # The same rule as _active_on, for trusts already in memory.
    return active_between(trust.open_date, trust.close_date, trust.status, date, date)


def missing_by_day(action: IndustrialAction, trusts: QuerySet[Trust] | None = None) -> list[DayMissing]:
    """For every strike day, the trusts in scope that have not submitted, from three queries
    (the trusts with their administrators, the submitted (trust, date) pairs, the strike days)
    rather than one query per day: the missing-returns page and its CSV read this."""
    days = list(StrikeDay.objects.filter(action=action).order_by("date"))
    if not days:
        return []
    scope = expected_trusts(action)
    if trusts is not None:
        scope = scope.filter(pk__in=trusts.values("pk"))
    candidates = list(scope.select_related("icb__region").prefetch_related(trust_administrators())
                      .order_by("icb__region__name", "name"))
    submitted = set(
        DailyReturn.objects.filter(action=action, status=ReturnStatus.SUBMITTED)
        .values_list("trust_id", "date")
    )
    result = []
    for day in days:
        expected = [t for t in candidates if _active_in_python(t, day.date)]
        result.append(DayMissing(strike_day=day, expected=len(expected),
                                 trusts=[t for t in expected if (t.pk, day.date) not in submitted]))
    return result


def strike_days_owed_by(trust: Trust) -> QuerySet[StrikeDay]:
    """Every strike day on which this trust owes a return (it was active that day; the same rule as
    expected_trusts), oldest first, with its action."""
    active = Trust.objects.filter(pk=trust.pk).filter(_active_on(OuterRef("date")))
    return (StrikeDay.objects.filter(Exists(active)).select_related("action")
            .order_by("date", "action__name"))


# --- On time, late, missing (DHIS2's "reports on time") ------------------------------------------

TIMELINESS_LEVELS = ("day", "trust", "icb", "region")


@dataclass(frozen=True)
class Timeliness:
    """Returns owed by one strike day, trust, ICB or region over an action: how many came on time
    (submitted by the deadline), late, or not at all. A draft is missing."""

    code: str
    name: str
    expected: int
    on_time: int
    late: int

    @property
    def received(self) -> int:
        return self.on_time + self.late

    @property
    def missing(self) -> int:
        return self.expected - self.received

    @property
    def on_time_rate(self) -> float | None:
        """Percent of owed returns that came on time, floored to one decimal (99.95 never reads as
        100); None when nothing was owed (a rate of nothing is not 0%)."""
        if not self.expected:
            return None
        return (self.on_time * 1000 // self.expected) / 10


# Area levels from the finest to the coarsest, with their (code, name) columns in the SQL below.
_AREA_LEVELS = ("trust", "icb", "region")
_TIMELINESS_KEYS = {
    "trust": ("t.ods_code", "t.name"),
    "icb": ("i.code", "i.name"),
    "region": ("g.code", "g.name"),
}


def timeliness(action: IndustrialAction, *, by: str, trusts: QuerySet[Trust] | None = None) -> list[Timeliness]:
    """On time, late and missing per strike day, trust, ICB or region (`by`) over an action, in one
    grouped query. `trusts` narrows to a scope. Ordered by date, or by region and name."""
    if by not in TIMELINESS_LEVELS:
        raise ValueError(f"by must be one of {TIMELINESS_LEVELS}")
    if by == "day":
        return days_timeliness(completeness_by_day(action, trusts))
    return timeliness_by_area(action, (by,), trusts)[by]


def days_timeliness(days: Iterable[DayCompleteness]) -> list[Timeliness]:
    """Per strike day, the counts are completeness_by_day's (one rule for "on time" per day): a page
    that already has them builds its on-time table from them, with no second query."""
    return [Timeliness(code=day.date.isoformat(), name=formatted(day.date, "short_day"), expected=day.expected,
                       on_time=day.on_time, late=day.received - day.on_time) for day in days]


def timeliness_by_area(action: IndustrialAction, levels: Iterable[str],
                       trusts: QuerySet[Trust] | None = None) -> dict[str, list[Timeliness]]:
    """timeliness() per each of `levels` ("trust", "icb", "region"), {level: rows}, in one grouped
    query whatever the number of levels: every (trust, strike day) a return is owed for (the
    completeness rule of _active_on), left-joined to its submitted return, counted per trust (per
    ICB when no trust rows are asked for); each level asked for is the sum of those counts (every
    count is a sum). Rows are ordered by
    region name, then name, as the database orders names.

    Raw SQL because the owed pairs are a join of trusts and strike days on the activity rule, which
    the ORM cannot express without a subquery per day."""
    wanted = set(levels)
    if not wanted or not wanted <= set(_AREA_LEVELS):
        raise ValueError(f"levels must be some of {_AREA_LEVELS}")
    finest = _AREA_LEVELS.index(next(level for level in _AREA_LEVELS if level in wanted))
    keyed = _AREA_LEVELS[finest:]  # the finest level asked for and every coarser one
    columns = ", ".join(column for level in keyed for column in _TIMELINESS_KEYS[level])
    # Each level's name as the database orders it (its collation, as the old ORDER BY had it).
    ranks = ", ".join(f"DENSE_RANK() OVER (ORDER BY {_TIMELINESS_KEYS[level][1]})" for level in keyed)
    owed_sql, owed_params = _active_on_sql("t", "d.date")
    scope_sql, scope_params = _scope_sql(trusts, "t")
    # Counted per trust when trusts are asked for, else per ICB (42 groups rather than ~500: half
    # the query's time); coarser levels are sums of these counts.
    group = "t.id" if keyed[0] == "trust" else "t.icb_id"
    tables = {model: model._meta.db_table for model in (Trust, StrikeDay, DailyReturn, ICB, Region)}
    sql = (
        # Counted per trust id first (integer keys: cheap to group), then the ~500 rows joined to the
        # names of the levels asked for: grouping the owed pairs by the names cost twice as much.
        f"SELECT {columns}, {ranks}, o.expected, o.on_time, o.late FROM ("  # noqa: S608  # nosec B608 # fixed names; values are parameters
        f"SELECT {group} AS area_id, COUNT(*) AS expected, "
        "COUNT(r.id) FILTER (WHERE NOT r.is_late) AS on_time, COUNT(r.id) FILTER (WHERE r.is_late) AS late "
        f"FROM {tables[Trust]} t "
        f"JOIN {tables[StrikeDay]} d ON d.action_id = %s AND {owed_sql} "
        # r.action_id = d.action_id says no more than the strike day does, but lets PostgreSQL read the
        # action's returns once by their action index and hash them: joined on the strike day alone it
        # re-scanned each day's returns for every trust (534 -> 23 ms at 1M returns, BENCHMARKS.md).
        f"LEFT JOIN {tables[DailyReturn]} r ON r.trust_id = t.id AND r.strike_day_id = d.id "
        "AND r.action_id = d.action_id AND r.status = %s "
        f"WHERE TRUE{scope_sql} GROUP BY {group}) o "
        + (f"JOIN {tables[Trust]} t ON t.id = o.area_id JOIN {tables[ICB]} i ON i.id = t.icb_id "
           if keyed[0] == "trust" else f"JOIN {tables[ICB]} i ON i.id = o.area_id ")
        + f"JOIN {tables[Region]} g ON g.id = i.region_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [action.pk, *owed_params, ReturnStatus.SUBMITTED.value, *scope_params])
        rows = cursor.fetchall()
    # Each row: (code, name) per keyed level, finest first; the rank of each level's name; then
    # expected, on time and late.
    width = len(keyed)
    counts: dict[str, dict[tuple[str, str], list[int]]] = {level: {} for level in keyed}
    order: dict[str, dict[str, tuple[int, int]]] = {level: {} for level in keyed}
    for row in rows:
        figures = row[-3:]
        region_rank = int(row[3 * width - 1])
        for index, level in enumerate(keyed):
            key = (str(row[2 * index]), str(row[2 * index + 1]))
            summed = counts[level].setdefault(key, [0, 0, 0])
            for position, value in enumerate(figures):
                summed[position] += int(value)
            order[level][key[0]] = (region_rank, int(row[2 * width + index]))
    return {level: [Timeliness(code=code, name=name, expected=expected, on_time=on_time, late=late)
                    for (code, name), (expected, on_time, late) in sorted(
                        counts[level].items(), key=lambda item: order[level][item[0][0]])]
            for level in keyed if level in wanted}


def signed_off_by_day(action: IndustrialAction, trusts: QuerySet[Trust] | None = None) -> dict[dt.date, int]:
    """{strike day: submitted returns signed off} for an action that requires sign-off: the received
    count of completeness_by_day(signed_off_only=True), the same rule as a signed-off-only release,
    so the live signed-off coverage and such a release always agree."""
    return {day.date: day.received for day in completeness_by_day(action, trusts, signed_off_only=True)}
