"""The trust table of the report pages, 50 trusts a page: pages, sorting across pages, the query
string kept by every link, scoping, and that its lean selectors give the published figures."""

from __future__ import annotations

import datetime as dt
import html
import random
import re

import pytest

from reports.selectors.reports import (
    DayFigures,
    action_tables,
    icb_figures,
    peak_of,
    region_figures,
    report_trusts,
    sort_areas,
    strike_dates,
    trust_figures,
)
from reports.views.reports import TRUSTS_PER_PAGE
from tests.factories import local, make_action, make_return
from trusts.figures import RESCHEDULED_METRICS
from trusts.models import ICB, ReturnStatus, Trust, TrustStatus

pytestmark = pytest.mark.django_db

APRIL_11, APRIL_12, APRIL_13 = dt.date(2023, 4, 11), dt.date(2023, 4, 12), dt.date(2023, 4, 13)


@pytest.fixture
def action(rwe):
    """Returns from a spread of trusts over three days: distinct acute totals so that sorting has
    one right answer, nil returns, drafts, a staff absence tie between two days, missing days."""
    action = make_action()
    rng = random.Random(11)
    trusts = list(Trust.objects.order_by("ods_code"))
    for index, trust in enumerate(trusts[:120]):
        for day in (APRIL_11, APRIL_12):
            make_return(action, trust, day, elective_rescheduled=index * 3 + (day == APRIL_12),
                        outpatient_rescheduled=rng.randint(0, 50), community_rescheduled=rng.randint(0, 5),
                        staff_absent=rng.choice([None, 0, 10, 40]), staff_due=100)
    make_return(action, trusts[130], APRIL_11)  # a nil return
    make_return(action, trusts[131], APRIL_11, status=ReturnStatus.DRAFT, elective_rescheduled=999)
    # Leicester: the same staff absent on two days (the earlier is the peak), nothing on the third.
    for day in (APRIL_11, APRIL_12, APRIL_13):
        make_return(action, rwe, day, elective_rescheduled=5, outpatient_rescheduled=7,
                    staff_absent=0 if day == APRIL_13 else 70, staff_due=200)
    return action


def url(action) -> str:
    return f"/reports/actions/{action.slug}/"


def _all_pages(client, path: str, params: dict[str, str]) -> list[str]:
    codes: list[str] = []
    first = client.get(path, params).context
    for number in range(1, first["trust_page"].paginator.num_pages + 1):
        codes += [r.code for r in client.get(path, {**params, "page": str(number)}).context["trust_rows"]]
    return codes


# --- pages -----------------------------------------------------------------------------------

def test_the_trust_table_shows_fifty_trusts_a_page_with_links_to_the_others(client, action, nia) -> None:
    client.force_login(nia)
    listed = report_trusts(action).count()
    assert listed > 4 * TRUSTS_PER_PAGE
    response = client.get(url(action))
    context = response.context
    assert TRUSTS_PER_PAGE == 50
    assert len(context["trust_rows"]) == 50
    assert context["trust_count"] == listed
    body = html.unescape(response.content.decode())
    assert f"Trusts: action totals ({listed})" in body
    assert f"Showing trusts 1 to 50 of {listed} (page 1 of 5)." in body
    # "Next" returns to the trust table's page line, not the top of a long page.
    assert 'href="?page=2#trusts-page" rel="next"' in body and 'rel="prev"' not in body
    assert "Every trust is in the downloads (CSV and XLSX)." in body
    # Only the page's trusts are rendered; a trust of another page is not on this one.
    later = _all_pages(client, url(action), {})[60]
    assert f'/trusts/{later}/"' not in body

    last = client.get(url(action), {"page": "5"})
    assert len(last.context["trust_rows"]) == listed - 200
    last_body = html.unescape(last.content.decode())
    assert 'href="?page=4#trusts-page" rel="prev"' in last_body and 'rel="next"' not in last_body
    assert f"Showing trusts 201 to {listed} of {listed} (page 5 of 5)." in last_body


def test_every_trust_is_on_exactly_one_page_in_the_order_of_the_whole_table(client, action, nia) -> None:
    client.force_login(nia)
    dates = strike_dates(action)
    rows = action_tables(action, dates).trusts
    for sort, direction in [("name", "asc"), ("acute_rescheduled", "desc"), ("acute_rescheduled", "asc"),
                            ("peak_staff_absent", "desc"), ("icb", "asc"), ("days_reported", "desc")]:
        expected = [r.code for r in sort_areas(rows, sort, direction == "desc")]
        assert _all_pages(client, url(action), {"sort": sort, "dir": direction}) == expected, (sort, direction)
    # The largest acute total leads page 1 descending and ends the last page ascending.
    top = max(rows, key=lambda r: r.totals.acute_rescheduled)
    descending = client.get(url(action), {"sort": "acute_rescheduled", "dir": "desc"}).context["trust_rows"]
    ascending = client.get(url(action), {"sort": "acute_rescheduled", "dir": "asc", "page": "5"}).context["trust_rows"]
    assert descending[0].code == ascending[-1].code == top.code


def test_a_page_out_of_range_shows_the_last_page_and_nonsense_the_first(client, action, nia) -> None:
    client.force_login(nia)
    last = [r.code for r in client.get(url(action), {"page": "5"}).context["trust_rows"]]
    first = [r.code for r in client.get(url(action)).context["trust_rows"]]
    for page in ("999", "6"):
        response = client.get(url(action), {"page": page})
        assert response.status_code == 200
        assert [r.code for r in response.context["trust_rows"]] == last
    for page in ("0", "-1"):
        # Django's get_page: below the first page is the last page too, never an error.
        assert client.get(url(action), {"page": page}).status_code == 200
    for page in ("abc", "", "1.5", "'; drop table"):
        response = client.get(url(action), {"page": page})
        assert response.status_code == 200
        assert [r.code for r in response.context["trust_rows"]] == first
    # Filters that leave fewer trusts than a page: one page, no pagination, whatever page was asked.
    response = client.get(url(action), {"q": "RWE", "page": "3"})
    assert [r.code for r in response.context["trust_rows"]] == ["RWE"]
    assert 'aria-label="Pagination"' not in response.content.decode()
    assert "Showing trusts" not in response.content.decode()


def test_page_links_keep_the_sort_and_filters_and_a_new_sort_starts_at_page_one(client, action, nia) -> None:
    client.force_login(nia)
    params = {"reported": "missing", "sort": "acute_rescheduled", "dir": "desc", "page": "2"}
    response = client.get(url(action), params)
    body = response.content.decode()
    assert "?reported=missing&amp;sort=acute_rescheduled&amp;dir=desc&amp;page=3" in body
    assert "?reported=missing&amp;sort=acute_rescheduled&amp;dir=desc&amp;page=1" in body
    # The trust sort links drop the page (a new order starts at its first page)...
    assert 'href="?reported=missing&amp;sort=acute_rescheduled&amp;dir=asc#trusts"' in body
    assert 'href="?reported=missing&amp;sort=name&amp;dir=asc#trusts"' in body
    # ...the ICB table's sort links keep it (they do not change the trust table).
    assert "?reported=missing&amp;sort=acute_rescheduled&amp;dir=desc&amp;page=2&amp;icb_sort=total_rescheduled" in body
    # The filter form carries the sort but not the page: filtering starts again at page 1.
    form = re.search(r'<form method="get" action="#trusts".*?</form>', body, re.S)
    assert form is not None
    assert 'name="sort" value="acute_rescheduled"' in form.group(0) and 'name="page"' not in form.group(0)
    # Every listed trust on page 2 is missing a return, in order.
    rows = response.context["trust_rows"]
    assert rows and all(r.missing_dates for r in rows)
    totals = [r.totals.acute_rescheduled for r in rows]
    assert totals == sorted(totals, reverse=True)


def test_a_regional_manager_pages_through_their_region_only(client, action, morgan) -> None:
    client.force_login(morgan)
    midlands = report_trusts(action, Trust.objects.filter(icb__region__code="Y60")).count()
    response = client.get(url(action))
    assert response.context["trust_count"] == midlands
    codes = _all_pages(client, url(action), {})
    assert len(codes) == len(set(codes)) == midlands
    assert set(Trust.objects.filter(ods_code__in=codes).values_list("icb__region__code", flat=True)) == {"Y60"}
    # Asking for a page past the region's last shows its last page, never other regions' trusts.
    far = client.get(url(action), {"page": "40"})
    assert {r.region_code for r in far.context["trust_rows"]} == {"Y60"}


def test_the_region_page_pages_its_trusts_the_same_way(client, action, nia) -> None:
    client.force_login(nia)
    path = f"{url(action)}regions/Y60/"
    in_region = report_trusts(action, Trust.objects.filter(icb__region__code="Y60")).count()
    response = client.get(path)
    assert response.context["trust_count"] == in_region
    assert len(response.context["trust_rows"]) == min(in_region, TRUSTS_PER_PAGE)
    codes = _all_pages(client, path, {"sort": "total_rescheduled", "dir": "desc"})
    assert len(codes) == in_region
    assert {r.region_code for r in response.context["trust_rows"]} == {"Y60"}


# --- the lean selectors give the same figures as the published ones -------------------------

def test_action_tables_have_the_published_figures(action) -> None:
    # A trust closed before the action that still sent a return is listed, and owed nothing.
    closed = Trust.objects.order_by("ods_code").last()
    assert closed is not None
    make_return(action, closed, APRIL_11, elective_rescheduled=3)
    Trust.objects.filter(pk=closed.pk).update(close_date=dt.date(2023, 1, 1))
    # A trust that opened during the action owed returns from its opening day only; one that ODS
    # marks closed without a close date owes nothing and is not listed.
    opening, inactive = Trust.objects.order_by("-ods_code")[1:3]
    Trust.objects.filter(pk=opening.pk).update(open_date=APRIL_13)
    Trust.objects.filter(pk=inactive.pk).update(status=TrustStatus.CLOSED)
    dates = strike_dates(action)
    midlands = Trust.objects.filter(icb__region__code="Y60")
    for scope, listed in ((None, None), (midlands, None), (None, Trust.objects.filter(trust_type="acute")),
                          (midlands, midlands.filter(name__icontains="university"))):
        tables = action_tables(action, list(reversed(dates)), scope, listed)
        published = {a.code: a for a in trust_figures(action, dates, listed if listed is not None else scope)}
        rows = {r.code: r for r in tables.trusts}
        assert rows.keys() == published.keys()
        assert [r.code for r in tables.trusts] == sorted(rows, key=lambda code: rows[code].name)
        for code, row in rows.items():
            full = published[code]
            assert row.totals.metrics(RESCHEDULED_METRICS) == full.totals.metrics(RESCHEDULED_METRICS), code
            assert row.status == full.status and row.days == {}, code
            assert row.peak == full.peak, code
            assert row.owed == full.owed and row.missing_dates == full.missing_dates, code
            assert row.days_reported == full.days_reported, code
            assert (row.name, row.trust_type, row.icb_code, row.icb_name, row.region_code, row.region_name) == (
                full.name, full.trust_type, full.icb_code, full.icb_name, full.region_code, full.region_name)
        for rows_of_areas, areas in ((tables.regions, region_figures(action, dates, scope)),
                                     (tables.icbs, icb_figures(action, dates, scope))):
            assert [(a.code, a.name, a.region_code) for a in rows_of_areas] == [
                (a.code, a.name, a.region_code) for a in areas]
            for row, area in zip(rows_of_areas, areas, strict=True):
                assert row.totals.metrics(RESCHEDULED_METRICS) == area.totals.metrics(RESCHEDULED_METRICS), area.code
                assert row.reported == area.reported, area.code
                # The peak of an area is its peak day's sum over its trusts, not its largest trust's.
                assert row.peak == area.peak == peak_of(
                    DayFigures(date, figures) for date, figures in area.days.items()), area.code
    rows = {r.code: r for r in action_tables(action, dates).trusts}
    leicester = rows["RWE"]
    assert (leicester.peak.staff_absent, leicester.peak.date) == (70, APRIL_11)
    assert leicester.totals.acute_rescheduled == 36 and leicester.missing_dates == [dt.date(2023, 4, 14)]
    assert rows[closed.ods_code].owed == set() and rows[closed.ods_code].missing_dates == []
    assert rows[closed.ods_code].days_reported == 1
    assert rows[opening.ods_code].owed == {APRIL_13, dt.date(2023, 4, 14)}
    assert inactive.ods_code not in rows


def test_the_page_says_when_nothing_is_reported_yet(client, nia) -> None:
    action = make_action("empty", "Empty", [(local(2023, 5, 2, 7), local(2023, 5, 3, 7))])
    client.force_login(nia)
    response = client.get(url(action))
    assert response.status_code == 200
    body = response.content.decode()
    assert "No returns received yet." in body
    # Every trust that owes a return is listed, with zeros, over the pages.
    assert response.context["trust_count"] == report_trusts(action).count()
    assert response.context["trust_rows"][0].totals.total_rescheduled == 0


def test_the_filters_show_what_is_chosen_escaped(client, action, nia) -> None:
    client.force_login(nia)
    body = client.get(url(action), {"region": "Y60", "trust_type": "acute", "q": '"><b>x'}).content.decode()
    assert '<option value="Y60" selected>Midlands</option>' in body
    assert '<option value="acute" selected>Acute</option>' in body
    assert '<option value="" selected>All ICBs</option>' in body
    assert body.count(" selected>") == 4  # region, ICB (all), type, returns (all)
    assert 'value="&quot;&gt;&lt;b&gt;x"' in body and "<b>x" not in body


def test_names_in_the_tables_are_escaped(client, action, nia, rwe) -> None:
    ICB.objects.filter(pk=rwe.icb_id).update(name="NHS <i>Leicester</i> & Rutland Integrated Care Board")
    client.force_login(nia)
    body = client.get(url(action), {"q": "RWE"}).content.decode()
    assert "<i>Leicester</i>" not in body
    assert "&lt;i&gt;Leicester&lt;/i&gt; &amp; Rutland ICB" in body  # the ICB table and the trust row
    assert body.count("&lt;i&gt;Leicester&lt;/i&gt; &amp; Rutland ICB") >= 2
