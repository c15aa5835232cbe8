"""trusts.compiled: read queries compiled once per shape, only ever when that is provably the same
SQL as compiling them again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Count, Q, QuerySet

from tests.factories import local, make_action, make_return
from trusts import compiled
from trusts.compiled import fetch, sql_for
from trusts.models import DailyReturn, Trust

pytestmark = pytest.mark.django_db

D11, D12, D13 = (dt.date(2023, 4, d) for d in (11, 12, 13))


@pytest.fixture(autouse=True)
def _no_shapes() -> None:
    compiled._shapes.clear()


class Counting:
    """A build function that counts its calls."""

    def __init__(self, build: Any) -> None:
        self.build, self.calls = build, 0

    def __call__(self, *values: Any) -> QuerySet[Any]:
        self.calls += 1
        result: QuerySet[Any] = self.build(*values)
        return result


def per_day_returns(action_id: int, *dates: dt.date) -> QuerySet[DailyReturn, Any]:
    return (DailyReturn.objects.filter(action_id=action_id, status="submitted").values("trust_id")
            .annotate(**{f"sent_{i}": Count("pk", filter=Q(date=date)) for i, date in enumerate(dates)})
            .order_by("trust_id"))


def rows_of(sql_and_params: tuple[str, list[Any]]) -> list[tuple[Any, ...]]:
    return fetch(*sql_and_params)[1]


def test_a_shape_is_compiled_once_and_gives_what_compiling_again_gives() -> None:
    april = make_action()
    may = make_action(slug="may-2023", name="May 2023", windows=((local(2023, 5, 11, 7), local(2023, 5, 13, 7)),))
    make_return(april, "RWE", D11)
    make_return(april, "RWE", D12)
    make_return(april, "RJ1", D12)
    build = Counting(per_day_returns)
    first = sql_for("test.per_day", build, april.pk, D11, D12)
    assert build.calls == 2, "the stand-ins, then the real values to prove the shape"
    sql, params = per_day_returns(april.pk, D11, D12).query.sql_with_params()
    assert first == (sql, list(params))
    again = sql_for("test.per_day", build, may.pk, D12, D13)
    assert build.calls == 2, "the same shape, new values: not built or compiled again"
    sql, params = per_day_returns(may.pk, D12, D13).query.sql_with_params()
    assert again == (sql, list(params))
    # And the rows are the ORM's.
    assert rows_of(sql_for("test.per_day", build, april.pk, D11, D12)) == [
        tuple(row.values()) for row in per_day_returns(april.pk, D11, D12)]
    rwe, rj1 = (Trust.objects.get(ods_code=code).pk for code in ("RWE", "RJ1"))
    assert rows_of(first) == sorted([(rwe, 1, 1), (rj1, 0, 1)])


def test_another_number_or_type_of_values_is_another_shape() -> None:
    build = Counting(per_day_returns)
    sql_for("test.per_day", build, 1, D11)
    sql_for("test.per_day", build, 1, D11, D12)
    assert build.calls == 4
    sql_for("test.per_day", build, 2, D12, D13)
    assert build.calls == 4


def test_a_value_the_orm_writes_into_the_text_or_changes_is_never_cached() -> None:
    """startswith turns the value into a LIKE pattern, so the parameter is not the value: the shape
    cannot be proved and every call compiles the queryset, still giving the right SQL."""
    def named(prefix: str) -> QuerySet[Any]:
        return Trust.objects.filter(name__startswith=prefix).values("ods_code")

    build = Counting(named)
    for prefix in ("Royal", "Leeds", "Royal"):
        sql, params = sql_for("test.prefix", build, prefix)
        assert (sql, params) == (str(named(prefix).query.sql_with_params()[0]),
                                 list(named(prefix).query.sql_with_params()[1]))
    assert build.calls == 2 + 1 + 1 + 1, "tried once and refused (stand-in, real), then compiled every time"
    assert compiled._shapes[("test.prefix", (str,))] is None


def test_booleans_and_none_are_never_stood_in_for() -> None:
    build = Counting(lambda flag: Trust.objects.filter(Q(pk__gt=0) if flag else Q()).values("pk"))
    sql_for("test.flag", build, True)
    sql_for("test.flag", build, False)
    assert build.calls == 2, "compiled each time: a boolean can change the text"


def test_the_shapes_kept_are_bounded_and_a_cleared_shape_is_learned_again(monkeypatch) -> None:
    monkeypatch.setattr(compiled, "MAX_SHAPES", 2)
    for count in (1, 2, 3):
        dates = (D11, D12, D13)[:count]
        sql, params = per_day_returns(7, *dates).query.sql_with_params()
        assert sql_for("test.per_day", per_day_returns, 7, *dates) == (sql, list(params))
        assert len(compiled._shapes) <= 2
    assert ("test.per_day", (int, dt.date, dt.date, dt.date)) in compiled._shapes


def test_a_query_that_matches_nothing_has_no_rows_as_through_the_orm() -> None:
    """`pk__in` of no ids: the ORM answers no rows without asking the database (EmptyResultSet);
    so does rows_for, and the selectors built on it (a dashboard before any action is recorded)."""
    from reports.selectors.reports import daily_figures
    from trusts.compiled import rows_for
    from trusts.selectors.completeness import completeness_by_action

    def by_ids(*ids: int) -> QuerySet[Any]:
        return Trust.objects.filter(pk__in=ids).values("pk")

    assert rows_for("test.by_ids", by_ids) == ({}, [])
    assert list(by_ids()) == []
    assert daily_figures([]) == {}
    assert completeness_by_action([]) == {}
