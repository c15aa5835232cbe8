"""Report pages: who sees what, sorting and filtering without JavaScript, and the query budget."""

from __future__ import annotations

import datetime as dt
import html
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import local, make_action, make_return
from trusts.models import DailyReturn, ReturnStatus, Trust
from trusts.selectors.completeness import expected_trusts

pytestmark = pytest.mark.django_db

APRIL_11 = dt.date(2023, 4, 11)
LONDON_TRUST = "RJ1"  # Guy's and St Thomas' (London region)


@pytest.fixture
def action(rwe):
    action = make_action()
    make_return(action, rwe, APRIL_11, elective_rescheduled=300, outpatient_rescheduled=1000, staff_absent=700,
                staff_due=2000)
    make_return(action, "RX1", APRIL_11, elective_rescheduled=20, outpatient_rescheduled=30)
    make_return(action, LONDON_TRUST, APRIL_11, elective_rescheduled=5000, outpatient_rescheduled=9000)
    return action


def url(action, suffix: str = "") -> str:
    return f"/reports/actions/{action.slug}/{suffix}"


# --- who sees what ---------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in_for_every_live_page(client, action) -> None:
    for path in ["/reports/", url(action), url(action, "regions/Y60/"), url(action, "trusts/RWE/"),
                 url(action, "missing/"), url(action, "download.csv"), url(action, "download.xlsx"),
                 url(action, "publish/"), "/reports/seasons/", "/reports/cumulative/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/sign-in/"), path


@pytest.mark.parametrize("who", ["ada", "chris", "tom", "pat"])
def test_people_without_a_manager_role_cannot_see_the_national_report(client, action, who, request) -> None:
    client.force_login(request.getfixturevalue(who))
    for path in ["/reports/", url(action), url(action, "regions/Y60/"), url(action, "missing/"),
                 url(action, "download.xlsx"), url(action, "publish/"), "/reports/seasons/", "/reports/cumulative/"]:
        assert client.get(path).status_code == 404, (who, path)


def test_a_trust_administrator_sees_their_own_trust_page_only(client, action, ada) -> None:
    client.force_login(ada)
    response = client.get(url(action, "trusts/RWE/"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "University Hospitals of Leicester NHS Trust" in body
    assert "1,300 acute appointments and procedures" in body
    assert client.get(url(action, "trusts/RX1/")).status_code == 404
    assert client.get(url(action, f"trusts/{LONDON_TRUST}/")).status_code == 404


def test_a_midlands_manager_sees_england_totals_but_only_midlands_rows(client, action, morgan) -> None:
    client.force_login(morgan)
    response = client.get(url(action))
    assert response.status_code == 200
    context = response.context
    # England totals include London's figures...
    assert context["england_totals"].acute_rescheduled == 1300 + 50 + 14000
    # ...but no London row anywhere.
    assert {r.region_code for r in context["trust_rows"]} == {"Y60"}
    assert {r.code for r in context["region_rows"]} == {"Y60"}
    assert {r.region_code for r in context["icb_rows"]} == {"Y60"}
    assert LONDON_TRUST not in {r.code for r in context["trust_rows"]}
    assert "Guy" not in response.content.decode()
    assert context["own_totals"].acute_rescheduled == 1350
    # Completeness counts Midlands trusts only.
    assert context["completeness"][0].expected == expected_trusts(action, APRIL_11).filter(
        icb__region__code="Y60").count()


def test_a_midlands_manager_cannot_open_london(client, action, morgan) -> None:
    client.force_login(morgan)
    assert client.get(url(action, "regions/Y56/")).status_code == 404
    assert client.get(url(action, f"trusts/{LONDON_TRUST}/")).status_code == 404
    assert client.get(url(action, "regions/Y60/")).status_code == 200
    assert client.get(url(action, "trusts/RWE/")).status_code == 200
    # Filtering by another region's code shows nothing rather than London's rows.
    response = client.get(url(action), {"region": "Y56"})
    assert LONDON_TRUST not in {r.code for r in response.context["trust_rows"]}
    missing = client.get(url(action, "missing/"))
    assert {t.icb.region.code for t in missing.context["trusts"]} == {"Y60"}
    download = client.get(url(action, "download.csv")).content.decode("utf-8-sig")
    assert "RWE" in download and LONDON_TRUST not in download


def test_only_a_national_manager_may_publish(client, action, morgan, nia) -> None:
    client.force_login(morgan)
    assert client.get(url(action, "publish/")).status_code == 404
    assert client.post(url(action, "publish/")).status_code == 404
    client.force_login(nia)
    assert client.get(url(action, "publish/")).status_code == 200
    assert client.get("/reports/").status_code == 200


def test_unknown_action_or_region_is_404(client, nia) -> None:
    client.force_login(nia)
    make_action()
    assert client.get("/reports/actions/no-such-action/").status_code == 404
    assert client.get("/reports/actions/junior-doctors-april-2023/regions/Y99/").status_code == 404


# --- what the pages say ----------------------------------------------------------------------

def test_action_report_shows_headline_peak_completeness_and_charts(client, action, nia) -> None:
    client.force_login(nia)
    response = client.get(url(action))
    body = html.unescape(response.content.decode())
    expected = response.context["completeness"][0].expected
    # Below 100% coverage the headline says how many trusts it is based on (the least complete day).
    assert ("More than 15,000 appointments and procedures were rescheduled during the junior doctors' "
            "industrial action from 11 to 15 April 2023 (based on returns from 0 of "
            f"{expected} trusts).") in body
    assert response.context["england_peak"].staff_absent == 700
    assert response.context["england_peak"].date == APRIL_11
    assert body.count("<svg class=\"app-chart") == 2
    assert "<title id=\"england-rescheduled-title\">" in body and "<desc id=\"england-absent-desc\">" in body
    assert "Tue 11 Apr: 15,350 rescheduled" in body  # the chart's description carries the data
    assert "style=" not in body
    completeness = response.context["completeness"]
    assert completeness[0].received == 3
    assert response.context["missing_total"] == sum(c.expected for c in completeness) - 3
    assert "missing returns and whom to contact" in body
    assert "35.0%" in body  # 700 of 2,000 staff absent on 11 April


def test_trust_table_sorts_and_filters_from_the_query_string(client, action, nia) -> None:
    client.force_login(nia)
    rows = client.get(url(action), {"sort": "acute_rescheduled", "dir": "desc"}).context["trust_rows"]
    assert [r.code for r in rows[:3]] == [LONDON_TRUST, "RWE", "RX1"]
    # Ascending, the largest is the last row of the last page (the table shows 50 trusts a page).
    rows = client.get(url(action), {"sort": "acute_rescheduled", "dir": "asc", "page": "5"}).context["trust_rows"]
    assert rows[-1].code == LONDON_TRUST
    rows = client.get(url(action), {"region": "Y60", "sort": "acute_rescheduled", "dir": "desc"}).context["trust_rows"]
    assert rows[0].code == "RWE" and {r.region_code for r in rows} == {"Y60"}
    rows = client.get(url(action), {"q": "leicester"}).context["trust_rows"]
    assert "RWE" in {r.code for r in rows} and all("leicester" in r.name.lower() for r in rows)
    rows = client.get(url(action), {"q": "rx1"}).context["trust_rows"]
    assert [r.code for r in rows] == ["RX1"]
    rows = client.get(url(action), {"trust_type": "ambulance"}).context["trust_rows"]
    assert rows and {r.trust_type for r in rows} == {"Ambulance"}
    rows = client.get(url(action), {"reported": "missing", "q": "RWE"}).context["trust_rows"]
    assert [r.code for r in rows] == ["RWE"]  # it owes returns for 12 to 14 April
    assert client.get(url(action), {"reported": "complete", "q": "RWE"}).context["trust_rows"] == []
    # Nonsense in the query string is ignored, not an error.
    response = client.get(url(action), {"sort": "'; drop table", "dir": "sideways", "region": "Y99"})
    assert response.status_code == 200
    assert response.context["trust_count"] > 200
    # Sort links carry the filters and say which way they sort.
    body = client.get(url(action), {"region": "Y60", "sort": "acute_rescheduled", "dir": "desc"}).content.decode()
    assert 'aria-sort="descending"' in body
    assert "?region=Y60&amp;sort=acute_rescheduled&amp;dir=asc#trusts" in body


def test_icb_table_sorts_by_its_own_parameters(client, action, nia) -> None:
    client.force_login(nia)
    rows = client.get(url(action), {"icb_sort": "total_rescheduled", "icb_dir": "desc"}).context["icb_rows"]
    assert rows[0].region_code == "Y56"
    assert rows[0].totals.total_rescheduled == 14000


def test_missing_page_lists_trusts_to_chase_with_contacts(client, action, nia, ada) -> None:
    client.force_login(nia)
    response = client.get(url(action, "missing/"), {"date": "2023-04-11"})
    codes = {t.ods_code for t in response.context["trusts"]}
    assert "RWE" not in codes and len(codes) == response.context["completeness"][0].missing
    response = client.get(url(action, "missing/"), {"date": "2023-04-12"})
    assert "ada@rwe.example" in response.content.decode()
    # An unknown date falls back to a strike day rather than failing.
    assert client.get(url(action, "missing/"), {"date": "1999-01-01"}).status_code == 200


def test_region_season_and_cumulative_pages(client, action, nia) -> None:
    earlier = make_action("nurses-dec-2022", "Nurses, December 2022",
                          [(local(2022, 12, 15, 8), local(2022, 12, 15, 20))], staff_group="nurses")
    make_return(earlier, "RWE", dt.date(2022, 12, 15), elective_rescheduled=11, outpatient_rescheduled=1)
    client.force_login(nia)
    region = client.get(url(action, "regions/Y60/"))
    assert region.context["totals"].acute_rescheduled == 1350
    assert {r.region_code for r in region.context["trust_rows"]} == {"Y60"}
    seasons = client.get("/reports/seasons/")
    names = [s.name for s in seasons.context["seasons"]]
    assert names == ["April to November 2023", "Winter 2022 to 2023"]
    body = seasons.content.decode()
    assert "was the first industrial action this winter" in body
    cumulative = client.get("/reports/cumulative/")
    rows = cumulative.context["rows"]
    assert [r.action.slug for r in rows] == ["nurses-dec-2022", action.slug]
    assert rows[-1].cumulative.acute_rescheduled == 12 + 15350
    dashboard = client.get("/reports/")
    assert [r["action"].slug for r in dashboard.context["rows"]] == [action.slug, "nurses-dec-2022"]


def test_the_dashboard_reports_the_latest_started_action_and_says_what_its_table_says(client, action, nia
                                                                                    ) -> None:
    # Declared for next year: it has no returns to chase, so it is listed but not "the latest".
    next_year = timezone.localtime().year + 1
    make_action("consultants-next-year", "Consultants, next year",
                [(local(next_year, 7, 20, 7), local(next_year, 7, 22, 7))], staff_group="consultants")
    client.force_login(nia)
    response = client.get("/reports/")
    body = html.unescape(response.content.decode())
    assert response.context["latest"] == action
    assert f"Returns received: {action.name}" in body
    assert "Returns received: Consultants, next year" not in body
    missing = sum(c.missing for c in response.context["completeness"])
    assert missing > 0
    assert "Every expected return has been received" not in body
    assert f"See the {missing} missing returns and whom to contact" in body


def test_the_dashboard_says_every_return_was_received_only_when_none_is_missing(client, nia) -> None:
    action = make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])
    for trust in expected_trusts(action, APRIL_11):
        make_return(action, trust, APRIL_11, elective_rescheduled=1, outpatient_rescheduled=1)
    client.force_login(nia)
    body = client.get("/reports/").content.decode()
    assert "Every expected return has been received." in body
    assert "missing returns and whom to contact" not in body


# --- query budget ----------------------------------------------------------------------------

def _fill(action, trusts: list[Trust], rng: random.Random) -> None:
    now = timezone.now()
    rows = []
    for day in action.strike_days.all():
        for trust in trusts:
            due = rng.randint(10, 3000)
            rows.append(DailyReturn(
                action=action, trust=trust, strike_day=day, date=day.date, status=ReturnStatus.SUBMITTED,
                submitted_at=now, first_submitted_at=now, staff_due=due, staff_absent=rng.randint(0, due),
                elective_rescheduled=rng.randint(0, 500), outpatient_rescheduled=rng.randint(0, 900),
                community_rescheduled=rng.randint(0, 100), mental_health_rescheduled=rng.randint(0, 50),
                elective_planned=1000, outpatient_planned=2000,
            ))
    DailyReturn.objects.bulk_create(rows)


def _pages(action) -> list[str]:
    return ["/reports/", url(action), url(action) + "?sort=acute_rescheduled&dir=desc&region=Y60",
            url(action, "regions/Y60/"), url(action, "trusts/RWE/"), url(action, "missing/"),
            url(action, "download.csv"), url(action, "download.xlsx"), url(action, "publish/"),
            "/reports/seasons/", "/reports/cumulative/"]


MAX_QUERIES = 30


def test_each_page_issues_a_fixed_number_of_queries_for_20_or_209_trusts(
        client, nia, django_assert_max_num_queries) -> None:
    rng = random.Random(7)
    trusts = list(Trust.objects.order_by("ods_code"))
    small = make_action("small", "Small", [(local(2023, 1, 10, 7), local(2023, 1, 12, 7))])
    _fill(small, [t for t in trusts if t.ods_code in {"RWE", "RX1"}] + trusts[:18], rng)
    large = make_action("large", "Large", [(local(2023, 6, 10, 7), local(2023, 6, 15, 7))])
    # Leicester sends nothing, so that both lists of missing trusts have rows to show.
    _fill(large, [t for t in trusts if t.ods_code != "RWE"], rng)
    assert DailyReturn.objects.filter(action=large).count() == 208 * 5
    client.force_login(nia)
    counts: dict[str, list[int]] = {}
    for action in (small, large):
        for path in _pages(action):
            with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200, path
            counts.setdefault(path.replace(action.slug, "ACTION"), []).append(len(queries))
    for path, (small_count, large_count) in counts.items():
        assert small_count == large_count, (path, small_count, large_count)


def test_a_regional_managers_pages_have_a_fixed_query_count_too(
        client, morgan, django_assert_max_num_queries) -> None:
    rng = random.Random(8)
    trusts = list(Trust.objects.order_by("ods_code"))
    small = make_action("small", "Small", [(local(2023, 1, 10, 7), local(2023, 1, 11, 7))])
    _fill(small, trusts[:20], rng)
    large = make_action("large", "Large", [(local(2023, 6, 10, 7), local(2023, 6, 14, 7))])
    _fill(large, trusts, rng)
    client.force_login(morgan)
    for path in ["/reports/", "ACTION", "ACTION?region=Y60&sort=name"]:
        seen = []
        for action in (small, large):
            target = path.replace("ACTION", url(action))
            with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as queries:
                assert client.get(target).status_code == 200
            seen.append(len(queries))
        assert seen[0] == seen[1], (path, seen)


def test_the_reports_nav_item_is_for_managers(client, morgan, ada) -> None:
    client.force_login(morgan)
    assert {"href": "/reports/", "text": "Reports", "active": False} in client.get("/").context["nav_items"]
    client.force_login(ada)
    assert "/reports/" not in {i["href"] for i in client.get("/").context["nav_items"]}
