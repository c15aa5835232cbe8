"""Issue 12: the one rule for "not reported" vs "reported as 0", coverage, the publish gate and the
2025 measures (average staff absent, % planned care maintained, the previous action)."""

from __future__ import annotations

import datetime as dt
import html
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.models import Release
from reports.selectors.reports import average_sentence, headline
from tests.factories import local, make_action, make_return
from trusts.selectors.completeness import (
    NOT_SUBMITTED_TEXT,
    Coverage,
    DayCompleteness,
    ReportStatus,
    coverage_clause,
    report_status,
    reported,
)

DAY1, DAY2 = dt.date(2023, 4, 11), dt.date(2023, 4, 12)


# --- the rule ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "status"), [
    ({"returns": 0}, ReportStatus.NOT_SUBMITTED),
    ({"returns": 0, "owed": 0}, None),  # owed nothing, sent nothing: no row to mark
    ({"returns": 1, "owed": 0}, ReportStatus.SUBMITTED),  # sent one anyway
    ({"returns": 1}, ReportStatus.SUBMITTED),
    ({"returns": 1, "nil_returns": 1}, ReportStatus.NIL_RETURN),
    ({"returns": 1, "nil_returns": 1, "late_returns": 1}, ReportStatus.NIL_RETURN),
    ({"returns": 1, "late_returns": 1}, ReportStatus.LATE),
    ({"returns": 3, "owed": 4}, ReportStatus.NOT_SUBMITTED),  # over an action: a day is missing
    ({"returns": 4, "nil_returns": 2, "owed": 4}, ReportStatus.SUBMITTED),
    ({"returns": 4, "nil_returns": 4, "owed": 4}, ReportStatus.NIL_RETURN),
])
def test_report_status(kwargs, status) -> None:
    assert report_status(**kwargs) == status


def test_a_figure_behind_no_return_is_none_and_a_reported_zero_is_zero() -> None:
    assert reported(0, 0) is None and reported(25, 0) is None
    assert reported(0, 1) == 0 and reported(25, 2) == 25
    assert NOT_SUBMITTED_TEXT == "Not submitted"
    assert ReportStatus.NIL_RETURN.value == "nil return" and ReportStatus.NOT_SUBMITTED.label == "Not submitted"


def test_coverage_never_reads_100_while_a_return_is_missing() -> None:
    assert Coverage(2070, 2069).percent == 99.9
    assert Coverage(207, 187).as_json() == {"returns_expected": 207, "returns_received": 187, "percent": 90.3}
    assert Coverage(0, 0).percent == 100.0 and Coverage(207, 207).complete


def _day(date: dt.date, expected: int, received: int) -> DayCompleteness:
    return DayCompleteness(date=date, deadline=local(2023, 4, 12, 11), expected=expected, received=received,
                           missing=expected - received)


def test_the_headline_ends_with_the_least_complete_days_coverage() -> None:
    assert coverage_clause([_day(DAY1, 207, 207), _day(DAY2, 207, 207)]) == ""
    assert coverage_clause([_day(DAY1, 207, 200), _day(DAY2, 207, 187)]) == (
        " (based on returns from 187 of 207 trusts)")


@pytest.mark.django_db
def test_a_headline_with_no_returns_never_says_none_were_rescheduled() -> None:
    action = make_action()
    days = list(action.strike_days.all())
    assert headline(action, None, days) == ("No returns have been received yet for the junior doctors' industrial "
                                            "action from 11 to 15 April 2023.")
    assert headline(action, 196_000, days, " (based on returns from 187 of 207 trusts)") == (
        "196,000 appointments and procedures were rescheduled during the junior doctors' industrial action from "
        "11 to 15 April 2023 (based on returns from 187 of 207 trusts).")


def test_the_average_sentence() -> None:
    assert average_sentence(17236.0, {"average_staff_absent": 16162.0}) == (
        "On average 17,236 staff were absent each day, up from 16,162 in the previous round.")
    assert average_sentence(100.5, {"average_staff_absent": 120.0}) == (
        "On average 100.5 staff were absent each day, down from 120 in the previous round.")
    assert average_sentence(10.0, {"average_staff_absent": 10.0}).endswith("the same as in the previous round.")
    assert average_sentence(10.0, None) == "On average 10 staff were absent each day."
    assert average_sentence(None, {"average_staff_absent": 10.0}) == ""


# --- the 2025 measures -------------------------------------------------------------------------

def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_average_planned_care_and_previous_action_of_the_same_staff_group(client, nia) -> None:
    march = make_action("junior-doctors-march-2023", "Junior doctors, March 2023",
                        [(local(2023, 3, 13, 7), local(2023, 3, 15, 7))])
    make_return(march, "RWE", dt.date(2023, 3, 13), staff_absent=100, outpatient_rescheduled=40)
    make_return(march, "RWE", dt.date(2023, 3, 14), staff_absent=201, elective_rescheduled=3)
    nurses = make_action("nurses-march-2023", "Nurses, March 2023", [(local(2023, 3, 20, 7), local(2023, 3, 21, 7))],
                         staff_group="nurses")
    make_return(nurses, "RWE", dt.date(2023, 3, 20), staff_absent=999)
    april = make_action()
    make_return(april, "RWE", DAY1, staff_absent=300, elective_rescheduled=10, outpatient_rescheduled=20,
                elective_planned=100, outpatient_planned=100)
    make_return(april, "RX1", DAY1, staff_absent=50)
    make_return(april, "RWE", DAY2, staff_absent=100)
    entry = {a["slug"]: a for a in json.loads(run("national_totals", "--format", "json"))["actions"]}
    totals = entry["junior-doctors-april-2023"]["totals"]
    # Days with returns: 11 April (350) and 12 April (100); 13 and 14 April nobody reported.
    assert totals["average_staff_absent"] == 225.0
    assert totals["planned_care_maintained_percent"] == 85.0  # (200 - 30) / 200
    # The nurses' action came later than March but is another staff group.
    assert entry["junior-doctors-april-2023"]["previous_action"] == {
        "slug": "junior-doctors-march-2023", "acute_rescheduled": 43, "average_staff_absent": 150.5}
    assert entry["junior-doctors-march-2023"]["previous_action"] is None
    assert entry["junior-doctors-march-2023"]["totals"]["planned_care_maintained_percent"] is None
    client.force_login(nia)
    page = html.unescape(client.get("/reports/actions/junior-doctors-april-2023/").content.decode())
    assert "On average 225 staff were absent each day, up from 150.5 in the previous round." in page
    assert "85.0%" in page


# --- the publish gate --------------------------------------------------------------------------

@pytest.fixture
def partial(db):
    action = make_action("one-day", "Junior doctors, one day", [(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])
    make_return(action, "RWE", DAY1, elective_rescheduled=5)
    return action


def test_the_web_form_refuses_incomplete_figures_without_the_box_and_a_reason(client, nia, partial) -> None:
    client.force_login(nia)
    url = f"/reports/actions/{partial.slug}/publish/"
    page = html.unescape(client.get(url).content.decode())
    assert "Coverage below 95%" in page and "11 April (1 of " in page
    response = client.post(url, {"note": "Early"})
    body = html.unescape(response.content.decode())
    assert response.status_code == 200 and "<title>Error: " in body
    assert "Confirm that you are publishing incomplete figures" in body
    response = client.post(url, {"allow_incomplete": "on", "reason": "  "})
    assert "Enter why you are publishing incomplete figures" in html.unescape(response.content.decode())
    assert not Release.objects.exists()
    response = client.post(url, {"note": "Early", "allow_incomplete": "on", "reason": "The minister asked"})
    assert response.status_code == 302
    release = Release.objects.get()
    assert (release.note, release.incomplete_reason, release.coverage_threshold) == (
        "Early", "The minister asked", 95)
    client.logout()
    page = html.unescape(client.get(release.get_absolute_url()).content.decode())
    assert "Published with incomplete returns" in page and "The minister asked" in page


def test_complete_enough_figures_publish_without_a_reason(client, nia, partial, settings) -> None:
    settings.RELEASE_COVERAGE_THRESHOLD = 0
    client.force_login(nia)
    page = client.get(f"/reports/actions/{partial.slug}/publish/").content.decode()
    assert "allow_incomplete" not in page
    assert client.post(f"/reports/actions/{partial.slug}/publish/", {"reason": "ignored"}).status_code == 302
    assert Release.objects.get().incomplete_reason == ""  # no reason was needed, so none is shown


def test_publish_release_command_contract(partial) -> None:
    with pytest.raises(CommandError) as error:
        run("publish_release", partial.slug, "--note", "x", "--allow-incomplete")
    assert error.value.returncode == 1 and "Give the reason" in str(error.value)
    with pytest.raises(CommandError) as error:
        run("publish_release", partial.slug, "--note", "x", "--reason", "without the flag")
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="No industrial action with slug: nope") as error:
        run("publish_release", "nope", "--note", "x")
    assert error.value.returncode == 2
    assert not Release.objects.exists()
    out = run("publish_release", partial.slug, "--note", "x", "--allow-incomplete", "--reason", "Early look")
    assert out.startswith("Published release 1 of Junior doctors, one day.")
    assert Release.objects.get().published_by is None


def test_the_figure_filter() -> None:
    from trusts.templatetags.figures import figure, status_label

    assert figure(None) == figure("") == "Not submitted"
    assert figure(0) == "0" and figure(12345) == "12,345"
    assert status_label("nil return") == "Nil return" and status_label(None) == ""


@pytest.mark.django_db
def test_the_dashboard_headlines_state_coverage_and_a_regional_manager_sees_not_submitted(
        client, morgan, nia) -> None:
    action = make_action()
    make_return(action, "RJ1", DAY1, elective_rescheduled=5)  # London: nothing from the Midlands
    client.force_login(morgan)
    page = html.unescape(client.get("/reports/").content.decode())
    assert "(based on returns from 0 of " in page  # the least complete day: 12 April
    row = page[page.index("Junior doctors, April 2023</a>"):]
    row = row[:row.index("</tr>")]
    assert row.count("Not submitted") == 1 and ">5<" in row  # England's 5; the Midlands' total not submitted


def test_a_trust_rows_status_over_the_action_and_per_day() -> None:
    from reports.selectors.reports import AreaFigures, Figures

    # Owed 11 April only (closed on the 12th) and sent both days: nothing it owed is missing.
    closed = AreaFigures(code="X", name="X", owed={DAY1},
                         days={DAY1: Figures(returns=1), DAY2: Figures(returns=1, late_returns=1)}).finish([DAY1, DAY2])
    assert closed.status == ReportStatus.LATE and closed.status_on(DAY1) == ReportStatus.SUBMITTED
    # Owed both days, sent the 12th only: not submitted over the action, whatever else it sent.
    partial = AreaFigures(code="Y", name="Y", owed={DAY1, DAY2},
                          days={DAY2: Figures(returns=1, nil_returns=1)}).finish([DAY1, DAY2])
    assert partial.status == ReportStatus.NOT_SUBMITTED
    assert partial.status_on(DAY1) == ReportStatus.NOT_SUBMITTED and partial.status_on(DAY2) == ReportStatus.NIL_RETURN
    assert partial.days[DAY1].reported_metrics()["elective_rescheduled"] is None
    assert partial.days[DAY2].reported_metrics()["elective_rescheduled"] == 0
