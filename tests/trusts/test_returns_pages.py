"""Returns pages: the dashboard, the form -> check your answers -> confirmation journey, history,
conflicts, locks, bulk upload and templates, and who may see each page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.conftest import PASSWORD
from tests.factories import local, make_action, make_return
from trusts.models import DailyReturn, ReturnReopening, ReturnRevision, ReturnStatus, Role
from trusts.services.returns import return_submit

pytestmark = pytest.mark.django_db

EVENING_12 = local(2023, 4, 12, 18)
DETAIL = "/returns/RWE/junior-doctors-april-2023/2023-04-12/"
EDIT = DETAIL + "edit/"
CHECK = DETAIL + "check/"
GOOD = {"staff_absent": "700", "staff_due": "1,200", "elective_rescheduled": "40", "outpatient_rescheduled": "500",
        "community_rescheduled": "10", "mental_health_rescheduled": "0", "elective_planned": "",
        "outpatient_planned": ""}


@pytest.fixture
def action(db):
    return make_action(affected=["RWE", "RX1"])


@pytest.fixture
def at(monkeypatch):
    """Set the time every view sees."""
    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr("trusts.clock.now", lambda: moment)
    move(EVENING_12)
    return move


def _signed_in(client, user):
    client.force_login(user)
    return client


def _post(client, data: dict[str, str], version: int = 0, **extra: str):
    return client.post(EDIT, {**data, "version": str(version), "continue": "", **extra})


# --- who sees what -------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "dashboard", "detail", "edit"), [
    ("ada", 200, 200, 200),      # RWE's administrator
    ("tom", 200, 404, 404),      # another trust's administrator: his own dashboard, not RWE's returns
    ("morgan", 404, 200, 404),   # Midlands manager: RWE read-only
    ("sam", 404, 404, 404),      # London manager: RWE is outside his region
    ("nia", 404, 200, 404),      # national manager: read-only everywhere
    ("chris", 404, 404, 404),    # RWE communications: no access to returns
    ("pat", 404, 404, 404),      # no role
])
def test_each_role_sees_only_what_it_should(client, request, action, at, who, dashboard, detail, edit) -> None:
    user = request.getfixturevalue(who)
    make_return(action, "RWE", dt.date(2023, 4, 12), staff_absent=700, staff_due=1200)
    _signed_in(client, user)
    assert client.get("/returns/").status_code == dashboard
    assert client.get("/returns/upload/").status_code == dashboard
    assert client.get("/returns/template/junior-doctors-april-2023.csv").status_code == dashboard
    assert client.get(DETAIL).status_code == detail
    assert client.get(EDIT).status_code == edit
    assert client.get(CHECK).status_code in ((302, 404) if edit == 200 else (404,))
    assert client.post(EDIT, {**GOOD, "version": "1", "continue": ""}).status_code in (
        (200, 302) if edit == 200 else (404,))


def test_managers_read_a_return_without_a_way_to_change_it(client, action, morgan, at) -> None:
    make_return(action, "RWE", dt.date(2023, 4, 12), staff_absent=700, staff_due=1200)
    body = _signed_in(client, morgan).get(DETAIL).content.decode()
    assert "Return for Wednesday 12 April 2023" in body
    assert "Change this return" not in body
    assert EDIT not in body


def test_anonymous_visitors_are_sent_to_sign_in(client, action) -> None:
    for path in ("/returns/", DETAIL, EDIT, "/returns/upload/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")


def test_the_returns_nav_item_is_for_trust_administrators(client, ada, chris) -> None:
    client.force_login(ada)
    assert '<a class="nhsuk-header__navigation-link" href="/returns/">Returns</a>' in client.get("/").content.decode()
    client.force_login(chris)
    assert 'href="/returns/"' not in client.get("/").content.decode()


def test_an_unknown_action_or_date_is_404(client, ada, action, at) -> None:
    client.force_login(ada)
    assert client.get("/returns/RWE/no-such-action/2023-04-12/").status_code == 404
    assert client.get("/returns/RWE/junior-doctors-april-2023/2023-04-20/").status_code == 404
    assert client.get("/returns/RWE/junior-doctors-april-2023/12-04-2023/").status_code == 404


# --- dashboard --------------------------------------------------------------------------------------

def test_the_dashboard_shows_each_strike_days_status_and_deadline(client, ada, action, at,
                                                                   django_assert_max_num_queries) -> None:
    make_return(action, "RWE", dt.date(2023, 4, 11), submitted_at=local(2023, 4, 11, 20), staff_absent=1,
                staff_due=2)
    late = make_return(action, "RWE", dt.date(2023, 4, 12), staff_absent=1, staff_due=2)
    DailyReturn.objects.filter(pk=late.pk).update(is_late=True)
    make_return(action, "RWE", dt.date(2023, 4, 13), status=ReturnStatus.DRAFT)
    at(local(2023, 4, 13, 12))
    client.force_login(ada)
    with django_assert_max_num_queries(15):
        body = client.get("/returns/").content.decode()
    assert "University Hospitals of Leicester NHS Trust (RWE)" in body
    assert "<caption" in body and "Junior doctors, April 2023" in body
    for day, status in [("Tuesday 11 April 2023", "Submitted"), ("Wednesday 12 April 2023", "Submitted late"),
                        ("Thursday 13 April 2023", "Draft"), ("Friday 14 April 2023", "Not open yet")]:
        row = body.split(f"Strike day </span>{day}", 1)[1].split("</tr>", 1)[0]
        assert f'">{status}</strong>' in row, (day, row)
    assert "11am on Monday 17 April 2023" in body  # Friday's return is due on Monday
    at(local(2023, 4, 24, 9))
    body = client.get("/returns/").content.decode()
    row = body.split("Strike day </span>Friday 14 April 2023", 1)[1].split("</tr>", 1)[0]
    assert ">Locked</strong>" in row


def test_the_dashboard_pages_through_the_history_newest_action_first(client, ada, at,
                                                                     django_assert_max_num_queries) -> None:
    for month in range(1, 13):
        make_action(slug=f"action-2022-{month:02d}", name=f"Action of month {month} 2022",
                    windows=[(local(2022, month, 10, 7), local(2022, month, 12, 7))])
    at(local(2023, 1, 5, 9))
    client.force_login(ada)
    with django_assert_max_num_queries(15):
        first = client.get("/returns/").content.decode()
    captions = [f"Action of month {month} 2022" for month in range(12, 0, -1)]
    # The current action (the latest begun, December) first on every page, then ten others newest first.
    assert [c for c in captions if c in first] == captions[:11]
    assert first.index(captions[0]) < first.index(captions[1]) < first.index(captions[10])
    assert "The current industrial action, Action of month 12 2022, is listed first" in first
    assert "page 1 of 2, actions 1 to 10 of 11" in first
    assert 'href="?page=2" rel="next"' in first
    second = client.get("/returns/", {"page": 2}).content.decode()
    assert [c for c in captions if c in second] == [captions[0], captions[11]]
    assert 'href="?page=1" rel="prev"' in second
    # Not a page number: the first page; past the end: the last page (never an error page).
    assert "page 1 of 2" in client.get("/returns/", {"page": "x"}).content.decode()
    assert "page 2 of 2" in client.get("/returns/", {"page": 99}).content.decode()


def test_an_administrator_of_two_trusts_sees_both(client, ada, action, at) -> None:
    from trusts.models import Membership, Trust

    Membership.objects.create(user=ada, role="trust_admin", trust=Trust.objects.get(ods_code="RX1"))
    body = _signed_in(client, ada).get("/returns/").content.decode()
    assert "(RWE)</h2>" in body and "(RX1)</h2>" in body
    assert _signed_in(client, ada).get("/returns/RX1/junior-doctors-april-2023/2023-04-12/edit/").status_code == 200


# --- the journey ---------------------------------------------------------------------------------------

def test_errors_are_shown_in_the_summary_and_linked_to_their_fields(client, ada, action, at) -> None:
    _signed_in(client, ada)
    response = _post(client, {**GOOD, "staff_absent": "1300", "community_rescheduled": "ten"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in body
    assert '<a href="#id_staff_absent">' in body
    assert "Staff absent must be the same as or fewer than staff due to work (1,200)" in body
    assert '<a href="#id_community_rescheduled">' in body
    assert "Community appointments rescheduled must be a number, like 120" in body
    assert not DailyReturn.objects.exists()


def test_submit_check_answers_confirm_then_revise_with_history(client, ada, action, at) -> None:
    _signed_in(client, ada)
    response = _post(client, GOOD)
    assert response.status_code == 302 and response["Location"] == CHECK
    body = client.get(CHECK).content.decode()
    assert "Check your answers" in body
    assert f'href="{EDIT}#id_staff_absent">Change' in body
    assert not DailyReturn.objects.exists()  # nothing is saved until Submit
    response = client.post(CHECK)
    assert response["Location"] == DETAIL + "submitted/"
    body = client.get(response["Location"]).content.decode()
    assert '<h1 class="nhsuk-panel__heading">Return submitted</h1>' in body
    saved = DailyReturn.objects.get()
    assert (saved.status, saved.staff_due, saved.submitted_by, saved.version) == ("submitted", 1200, ada, 1)

    # After the deadline (11am on 13 April) a change needs a reason.
    at(local(2023, 4, 13, 12))
    body = client.get(EDIT).content.decode()
    assert "Reason for the change" in body and "Required: the deadline for this return was 11am on Thursday" in body
    response = _post(client, {**GOOD, "staff_absent": "720"}, version=1)
    assert "Enter a reason for the change: the deadline for this return was 11am on Thursday 13 April 2023" \
        in response.content.decode()
    response = _post(client, {**GOOD, "staff_absent": "720"}, version=1, reason="Night shift counted late")
    assert response["Location"] == CHECK
    assert "Night shift counted late" in client.get(CHECK).content.decode()
    client.post(CHECK)
    body = client.get(DETAIL).content.decode()
    assert "Staff absent: 700 to 720" in body
    assert "Night shift counted late" in body
    assert ada.email in body
    assert ReturnRevision.objects.get().changes == {"staff_absent": [700, 720]}


def test_a_warning_needs_a_comment_on_the_form(client, ada, action, at) -> None:
    _signed_in(client, ada)
    body = _post(client, {**GOOD, "staff_absent": "1150"}).content.decode()
    assert "Check these figures" in body
    assert "Staff absent (1,150) is more than 90% of staff due to work (1,200)" in body
    assert '<a href="#id_warning_comment">' in body
    response = _post(client, {**GOOD, "staff_absent": "1150"}, warning_comment="Whole rota walked out")
    assert response["Location"] == CHECK
    client.post(CHECK)
    assert DailyReturn.objects.get().warning_comment == "Whole rota walked out"


def test_a_nil_return_from_the_form(client, ada, action, at) -> None:
    _signed_in(client, ada)
    blank = dict.fromkeys(GOOD, "")
    body = _post(client, {**blank, "staff_due": "1200", "nil": "on", "outpatient_rescheduled": "3"}).content.decode()
    assert "You said there was no impact, but entered rescheduled figures" in body
    response = _post(client, {**blank, "staff_due": "1200", "nil": "on"})
    assert response["Location"] == CHECK
    assert "Yes: nothing was rescheduled" in client.get(CHECK).content.decode()
    client.post(CHECK)
    saved = DailyReturn.objects.get()
    assert saved.is_nil and saved.outpatient_rescheduled == 0 and saved.staff_absent == 0


def test_an_unaffected_trust_has_no_workforce_fieldset(client, action, at) -> None:
    from tests.conftest import _user

    admin = _user("admin@rhm.example", Role.TRUST_ADMIN, trust="RHM")
    body = _signed_in(client, admin).get("/returns/RHM/junior-doctors-april-2023/2023-04-12/edit/").content.decode()
    assert "does not affect staff at your trust" in body
    assert 'name="staff_absent"' not in body
    assert 'name="outpatient_rescheduled"' in body


def test_save_as_draft(client, ada, action, at) -> None:
    _signed_in(client, ada)
    response = client.post(EDIT, {"staff_absent": "5", "version": "0", "draft": ""})
    assert response["Location"] == "/returns/"
    saved = DailyReturn.objects.get()
    assert (saved.status, saved.staff_absent, saved.outpatient_rescheduled) == ("draft", 5, None)
    assert 'value="5"' in client.get(EDIT).content.decode()


def test_a_change_saved_meanwhile_is_a_conflict_not_a_lost_update(client, ada, tom, action, rwe, at) -> None:
    return_submit(action=action, trust=rwe, day=dt.date(2023, 4, 12), user=ada, now=EVENING_12,
                  figures={k: v.replace(",", "") for k, v in GOOD.items()})
    _signed_in(client, ada)
    assert 'name="version" value="1"' in client.get(EDIT).content.decode()
    # Ada continues to "check your answers" with version 1; meanwhile a colleague changes the return.
    _post(client, {**GOOD, "elective_rescheduled": "45"}, version=1)
    return_submit(action=action, trust=rwe, day=dt.date(2023, 4, 12), user=tom, now=EVENING_12,
                  figures={**{k: v.replace(",", "") for k, v in GOOD.items()}, "staff_absent": "710"})
    body = client.post(CHECK).content.decode()
    assert "<title>Error: " in body
    assert "This return has changed since you opened it" in body
    assert "Staff absent: 700 to 710" in body
    assert 'name="version" value="2"' in body
    saved = DailyReturn.objects.get()
    assert (saved.staff_absent, saved.elective_rescheduled) == (710, 40)


def test_a_locked_return_says_exactly_why(client, ada, nia, action, rwe, at) -> None:
    at(local(2023, 4, 24, 9))
    _signed_in(client, ada)
    response = client.get(EDIT)
    assert response["Location"] == DETAIL
    body = client.get(DETAIL).content.decode()
    assert "Returns for Junior doctors, April 2023 are locked: the action hard-closed at midnight on Saturday " \
           "22 April 2023." in body
    assert "Enter the return" not in body
    ReturnReopening.objects.create(action=action, trust=rwe, reopened_by=nia, reason="Recount",
                                   closes_at=local(2023, 4, 26, 17))
    assert client.get(EDIT).status_code == 200


def test_a_strike_day_that_has_not_begun_cannot_be_entered(client, ada, action, at) -> None:
    at(local(2023, 4, 11, 20))
    _signed_in(client, ada)
    assert client.get(EDIT)["Location"] == DETAIL
    assert "You cannot enter the return for 12 April 2023 yet" in client.get(DETAIL).content.decode()


# --- upload and templates ---------------------------------------------------------------------------

def _csv(*lines: str) -> SimpleUploadedFile:
    header = "action,ods_code,date,staff_absent,staff_due,elective_rescheduled,outpatient_rescheduled," \
             "community_rescheduled,mental_health_rescheduled\n"
    return SimpleUploadedFile("returns.csv", (header + "\n".join(lines) + "\n").encode(), content_type="text/csv")


def test_an_upload_saves_all_rows_or_none_and_lists_every_error(client, ada, action, at) -> None:
    _signed_in(client, ada)
    slug = action.slug
    response = client.post("/returns/upload/", {"file": _csv(
        f"{slug},RWE,2023-04-11,700,1200,40,500,10,0",
        f"{slug},RWE,2023-04-12,1300,1200,40,500,10,0",
        f"{slug},RX1,2023-04-12,1,1200,40,500,10,0",
        f"{slug},RWE,2023-04-13,abc,1200,40,500,10,0")})
    body = response.content.decode()
    assert "<title>Error: " in body
    assert "fix 4 problems" in body
    assert "Line 3, column staff_absent: Staff absent must be the same as or fewer than staff due to work (1,200)" \
        in body
    assert "Line 4, column ods_code: RX1 is not one of your trusts" in body
    assert "Line 5, column date: the strike day 13 April 2023 has not begun" in body
    assert "Line 5, column staff_absent: Staff absent must be a number, like 120" in body
    assert not DailyReturn.objects.exists()
    response = client.post("/returns/upload/", {"file": _csv(f"{slug},RWE,2023-04-11,700,1200,40,500,10,0",
                                                             f"{slug},RWE,2023-04-12,650,1200,40,500,10,0")})
    assert response["Location"] == "/returns/"
    assert DailyReturn.objects.filter(status="submitted", source="upload", submitted_by=ada).count() == 2


def test_an_upload_with_unusual_figures_is_refused_with_a_pointer_to_the_form(client, ada, action, at) -> None:
    body = _signed_in(client, ada).post("/returns/upload/", {"file": _csv(
        f"{action.slug},RWE,2023-04-12,1190,1200,40,500,10,0")}).content.decode()
    assert "Line 2, column staff_absent: Staff absent (1,190) is more than 90% of staff due to work (1,200)" in body
    assert not DailyReturn.objects.exists()


def test_the_upload_form_checks_the_file_type(client, ada, action, at) -> None:
    body = _signed_in(client, ada).post("/returns/upload/", {
        "file": SimpleUploadedFile("returns.pdf", b"%PDF")}).content.decode()
    assert "The selected file must be a CSV or an Excel (.xlsx) file" in body
    assert "Select a CSV or Excel file" in _signed_in(client, ada).post("/returns/upload/", {}).content.decode()


def test_templates_hold_only_the_uploaders_trusts_strike_days(client, ada, action, at) -> None:
    _signed_in(client, ada)
    response = client.get(f"/returns/template/{action.slug}.csv")
    assert response["Content-Disposition"] == f'attachment; filename="returns-{action.slug}.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("action,ods_code,date,staff_absent,staff_due")
    assert [line.split(",")[1:3] for line in lines[1:]] == [["RWE", f"2023-04-{d}"] for d in (11, 12, 13, 14)]
    workbook = load_workbook(io.BytesIO(client.get(f"/returns/template/{action.slug}.xlsx").content))
    sheet = workbook.active
    assert sheet is not None
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][:3] == \
        [action.slug, "RWE", "2023-04-11"]
    assert client.get(f"/returns/template/{action.slug}.pdf").status_code == 404


def test_sign_in_then_dashboard(client, ada, action, at) -> None:
    response = client.post("/sign-in/?next=/returns/", {"username": ada.email, "password": PASSWORD,
                                                         "next": "/returns/"})
    assert response.status_code == 302
    assert client.get("/returns/").status_code == 200


def test_answers_waiting_on_check_your_answers_are_refused_once_the_hard_close_passes(client, ada, action, at) -> None:
    at(local(2023, 4, 21, 23, 50))
    _signed_in(client, ada)
    assert _post(client, GOOD, reason="late")["Location"] == CHECK
    at(local(2023, 4, 22, 0, 1))
    assert client.post(CHECK)["Location"] == DETAIL
    assert not DailyReturn.objects.exists()
    assert "are locked: the action hard-closed" in client.get(DETAIL).content.decode()
