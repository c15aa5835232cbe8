"""Completeness selectors: expected, received and missing returns per strike day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_action, make_return
from trusts.models import Membership, ReturnStatus, Role, Trust, TrustStatus, User
from trusts.selectors.completeness import completeness_by_day, expected_trusts, missing_by_day, missing_trusts

pytestmark = pytest.mark.django_db

D11, D12, D13, D14 = (dt.date(2023, 4, d) for d in (11, 12, 13, 14))


@pytest.fixture
def april(db):
    return make_action(affected=["RWE"])


@pytest.fixture
def closing_trust(db) -> Trust:
    """RX1 closes on 13 April 2023: it owes returns for 11 and 12 April only."""
    trust = Trust.objects.get(ods_code="RX1")
    trust.status, trust.close_date = TrustStatus.CLOSED, D13
    trust.save()
    return trust


def test_every_trust_open_that_day_owes_a_return_not_only_the_affected(april) -> None:
    expected = set(expected_trusts(april, D11).values_list("ods_code", flat=True))
    assert "RWE" in expected and "RX1" in expected  # affected and unaffected alike
    assert "RAP" in expected  # closed on 31 December 2024, so open in April 2023
    assert "RA4" not in expected  # closed on 31 March 2023
    assert "G6V2S" not in expected  # opened on 1 November 2024
    assert len(expected) == Trust.objects.filter(
        status=TrustStatus.ACTIVE, open_date__lte=D11).count() + Trust.objects.filter(close_date__gt=D11).count()
    assert set(expected_trusts(april).values_list("ods_code", flat=True)) == expected


def test_counts_with_a_closing_trust_a_draft_and_a_new_trust(april, closing_trust) -> None:
    newcomer = Trust.objects.get(ods_code="RTH")
    newcomer.open_date = D14
    newcomer.save()
    # Trusts open all four days, whatever the real data holds.
    base = expected_trusts(april, D11).exclude(pk__in=[closing_trust.pk]).count()
    make_return(april, "RWE", D11)
    make_return(april, "RWE", D12)
    make_return(april, closing_trust, D12)
    make_return(april, newcomer, D14)
    make_return(april, "RJ1", D11, status=ReturnStatus.DRAFT)  # a draft is not received
    with CaptureQueriesContext(connection) as queries:
        days = completeness_by_day(april)
    assert len(queries) == 1
    assert [(d.date, d.expected, d.received, d.missing) for d in days] == [
        (D11, base + 1, 1, base),          # RX1 still open; RTH not yet
        (D12, base + 1, 2, base - 1),
        (D13, base, 0, base),              # RX1 closed on the 13th
        (D14, base + 1, 1, base),          # RTH opened on the 14th
    ]
    assert days[0].deadline.date() == D12
    assert days[0].percent_received == 100 // (base + 1)


def test_counts_within_a_region(april) -> None:
    midlands = Trust.objects.filter(icb__region__code="Y60")
    make_return(april, "RWE", D11)
    make_return(april, "RJ1", D11)  # Guy's and St Thomas' (London): outside the scope
    day = completeness_by_day(april, midlands)[0]
    assert (day.expected, day.received, day.missing) == (midlands.count(), 1, midlands.count() - 1)


def test_missing_trusts_come_with_their_administrators(april, ada, tom) -> None:
    second = User.objects.create_user(email="bea@rwe.example", password="x" * 20)
    Membership.objects.create(user=second, role=Role.TRUST_ADMIN, trust=Trust.objects.get(ods_code="RWE"))
    make_return(april, "RX1", D11)
    midlands = Trust.objects.filter(icb__region__code="Y60")
    missing = missing_trusts(april, D11, midlands)
    with CaptureQueriesContext(connection) as queries:
        rows = {t.ods_code: [m.user.email for m in t.administrator_memberships] for t in missing}  # type: ignore[attr-defined]  # a Prefetch to_attr
        regions = {t.icb.region.code for t in missing}
    assert len(queries) == 2  # the trusts, then their administrators
    assert "RX1" not in rows
    assert rows["RWE"] == ["ada@rwe.example", "bea@rwe.example"]
    assert regions == {"Y60"}
    assert len(rows) == midlands.count() - 1


def test_missing_by_day_reads_every_day_in_a_fixed_number_of_queries(april, closing_trust) -> None:
    make_return(april, "RWE", D11)
    with CaptureQueriesContext(connection) as queries:
        days = missing_by_day(april, Trust.objects.filter(icb__region__code="Y60"))
    assert len(queries) == 4
    assert [d.strike_day.date for d in days] == [D11, D12, D13, D14]
    codes = [{t.ods_code for t in d.trusts} for d in days]
    assert "RWE" not in codes[0] and "RWE" in codes[1]
    assert "RX1" in codes[1] and "RX1" not in codes[2]
    assert days[0].received == 1


def test_the_sql_rule_of_who_owes_a_return_is_the_orm_rule(april) -> None:
    """The raw queries (completeness_by_action, timeliness_by_area) state _active_on in SQL
    (_active_on_sql); for every kind of opening, closing and status around a strike day, both pick
    the same trusts."""
    from trusts.selectors.completeness import _active_on, _active_on_sql

    trusts = list(Trust.objects.order_by("pk")[:36])
    kinds = [(open_date, close_date, status)
             for open_date in (None, D11 - dt.timedelta(days=1), D12, D13)
             for close_date in (None, D12, D13)
             for status in (TrustStatus.ACTIVE, TrustStatus.CLOSED)]
    for trust, (open_date, close_date, status) in zip(trusts, kinds, strict=False):
        Trust.objects.filter(pk=trust.pk).update(open_date=open_date, close_date=close_date, status=status)
    ids = [t.pk for t in trusts[:len(kinds)]]
    rule, params = _active_on_sql("t", "%s::date")  # the date twice, then the rule's own parameter
    for day in (D11, D12, D13, D14):
        by_orm = set(Trust.objects.filter(_active_on(day), pk__in=ids).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT t.id FROM {Trust._meta.db_table} t WHERE {rule} AND t.id = ANY(%s)",  # noqa: S608
                           [day, day, *params, ids])
            by_sql = {pk for (pk,) in cursor.fetchall()}
        assert by_sql == by_orm, day
        assert 0 < len(by_orm) < len(ids), "the combinations owe on some days and not others"
