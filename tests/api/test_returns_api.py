"""Returns through the API: each role's token, the web's rules word for word (they come from the same
service), warnings, locks, deadlines, conflicts, and 404 for anything outside a caller's trusts."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import token_for
from tests.factories import local, make_action, make_return
from trusts.models import AuditEvent, DailyReturn, ReturnRevision, ReturnSource, ReturnStatus, Trust

pytestmark = pytest.mark.django_db

APR_12 = dt.date(2023, 4, 12)
EVENING_12 = local(2023, 4, 12, 18)  # the strike day has begun; its deadline is 11am on 13 April
AFTER_DEADLINE = local(2023, 4, 14, 9)
AFTER_HARD_CLOSE = local(2023, 5, 2, 9)
GOOD = {"staff_absent": 700, "staff_due": 1200, "elective_rescheduled": 40, "outpatient_rescheduled": 500,
        "community_rescheduled": 10, "mental_health_rescheduled": 0}
RETURNS = "/api/v1/returns/"
RWE_12 = "/api/v1/returns/RWE/junior-doctors-april-2023/2023-04-12/"


@pytest.fixture
def action(db):
    return make_action(affected=["RWE", "RX1"])


def _create(api, user, **figures):
    body = {"trust": "RWE", "action": "junior-doctors-april-2023", "date": "2023-04-12", **GOOD, **figures}
    return api("POST", RETURNS, user, body)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.body["error"]
    assert error["status"] == status and error["code"] == code
    assert set(error) >= {"status", "code", "message", "fields", "warnings"}
    return error


# --- submitting and revising as a trust administrator -----------------------------------------------

def test_ada_submits_her_trusts_return_through_the_api(api, at, action, ada) -> None:
    at(EVENING_12)
    response = _create(api, ada)
    assert response.status_code == 201, response.content
    assert response.body["status"] == "submitted" and response.body["version"] == 1
    assert response.body["source"] == "api" and response.body["is_late"] is False
    assert response.body["editable"] is True and response.body["lock_reason"] is None
    saved = DailyReturn.objects.get(trust__ods_code="RWE", date=APR_12)
    assert (saved.staff_absent, saved.source, saved.submitted_by) == (700, ReturnSource.API, ada)
    assert AuditEvent.objects.filter(event="return.submitted", actor=ada, trust_code="RWE").exists()


def test_ada_revises_with_the_version_she_read_and_the_change_is_a_revision(api, at, action, ada) -> None:
    at(EVENING_12)
    _create(api, ada)
    response = api("PUT", RWE_12, ada, {"version": 1, **GOOD, "staff_absent": 715, "reason": "Late reports"})
    assert response.status_code == 200, response.content
    assert response.body["version"] == 2 and response.body["staff_absent"] == 715
    assert response.body["revisions"][0]["changes"] == {"staff_absent": [700, 715]}
    assert response.body["revisions"][0]["reason"] == "Late reports"
    revision = ReturnRevision.objects.get(daily_return__trust__ods_code="RWE")
    assert revision.source == ReturnSource.API and revision.changed_by == ada


def test_what_a_put_answers_is_what_a_get_then_reads(api, at, action, ada) -> None:
    """The PUT answer is built from the row as written (no re-read): it must match the stored return
    exactly, for a draft, its submission, a revision and an unchanged resubmission."""
    at(EVENING_12)
    steps = [{"version": 0, "draft": True, "staff_due": 1200},
             {"version": 1, **GOOD},
             {"version": 2, **GOOD, "outpatient_rescheduled": 520, "reason": "Clinic list rechecked"},
             {"version": 3, **GOOD, "outpatient_rescheduled": 520}]
    token = token_for(ada)
    for expected_version, body in enumerate(steps, start=1):
        put = api("PUT", RWE_12, token, body)
        assert put.status_code in (200, 201), put.content
        get = api("GET", RWE_12, token)
        assert put.body == get.body
        assert put.body["version"] == min(expected_version, 3)
    assert [r["version"] for r in get.body["revisions"]] == [3]


def test_put_creates_a_missing_return_with_version_0(api, at, action, ada) -> None:
    at(EVENING_12)
    response = api("PUT", RWE_12, ada, {"version": 0, **GOOD})
    assert response.status_code == 201 and response.body["version"] == 1


def test_the_same_figures_again_change_nothing(api, at, action, ada) -> None:
    at(EVENING_12)
    _create(api, ada)
    response = api("PUT", RWE_12, ada, {"version": 1, **GOOD})
    assert response.status_code == 200 and response.body["version"] == 1
    assert not ReturnRevision.objects.exists()


def test_a_draft_may_have_gaps_and_is_not_submitted(api, at, action, ada) -> None:
    at(EVENING_12)
    response = api("PUT", RWE_12, ada, {"version": 0, "draft": True, "staff_due": 1200})
    assert response.status_code == 201 and response.body["status"] == "draft"
    assert DailyReturn.objects.get().status == ReturnStatus.DRAFT


def test_a_draft_for_a_submitted_return_is_refused(api, at, action, ada) -> None:
    at(EVENING_12)
    _create(api, ada)
    error = _error(api("PUT", RWE_12, ada, {"version": 1, "draft": True}), 409, "already_submitted")
    assert "cannot go back to being a draft" in error["message"]


def test_a_nil_return(api, at, action, ada) -> None:
    at(EVENING_12)
    response = api("PUT", RWE_12, ada, {"version": 0, "nil": True, "staff_due": 1200})
    assert response.status_code == 201 and response.body["is_nil"] is True
    assert response.body["outpatient_rescheduled"] == 0 and response.body["staff_absent"] == 0


# --- the web's rules, word for word ------------------------------------------------------------------

def test_hard_errors_give_the_web_messages_per_field(api, at, action, ada) -> None:
    at(EVENING_12)
    error = _error(_create(api, ada, staff_absent=1300, community_rescheduled=-1), 422, "invalid")
    assert error["fields"]["staff_absent"] == [
        "Staff absent must be the same as or fewer than staff due to work (1,200)"]
    assert error["fields"]["community_rescheduled"] == ["Community appointments rescheduled must be 0 or more"]
    assert not DailyReturn.objects.exists()


def test_missing_figures_and_workforce_rules(api, at, action, ada) -> None:
    at(EVENING_12)
    error = _error(_create(api, ada, staff_absent=None, outpatient_rescheduled=None), 422, "invalid")
    assert error["fields"] == {"staff_absent": ["Enter the number of staff absent"],
                               "outpatient_rescheduled": ["Enter the number of outpatient appointments rescheduled"]}


def test_a_date_that_is_not_a_strike_day(api, at, action, ada) -> None:
    at(EVENING_12)
    error = _error(_create(api, ada, date="2023-04-20"), 422, "invalid")
    assert error["fields"] == {"date": ["20 April 2023 is not a strike day of Junior doctors, April 2023"]}


def test_a_malformed_body_is_400_with_field_messages(api, at, action, ada) -> None:
    at(EVENING_12)
    error = _error(api("PUT", RWE_12, ada, {"staff_absent": "many"}), 400, "invalid_request")
    assert set(error["fields"]) == {"version", "staff_absent"}


def test_unusual_figures_need_a_comment(api, at, action, ada, rwe) -> None:
    earlier = make_action("nurses-2022", "Nurses, December 2022",
                          ((local(2022, 12, 15, 8), local(2022, 12, 15, 20)),), staff_group="nurses")
    make_return(earlier, rwe, dt.date(2022, 12, 15), outpatient_rescheduled=100)
    at(EVENING_12)
    error = _error(_create(api, ada, outpatient_rescheduled=500), 422, "warnings")
    assert error["warnings"] == [{"field": "outpatient_rescheduled", "message": (
        "Outpatient appointments rescheduled (500) is more than 3 times this trust's usual figure on earlier strike "
        "days (median 100)")}]
    assert error["fields"] == {"warning_comment": ["Enter a comment to say why the unusual figures are right"]}
    assert not DailyReturn.objects.filter(action=action).exists()
    response = _create(api, ada, outpatient_rescheduled=500, warning_comment="Two sites closed clinics")
    assert response.status_code == 201 and response.body["warning_comment"] == "Two sites closed clinics"


def test_after_the_deadline_a_revision_needs_a_reason(api, at, action, ada) -> None:
    at(EVENING_12)
    _create(api, ada)
    at(AFTER_DEADLINE)
    error = _error(api("PUT", RWE_12, ada, {"version": 1, **GOOD, "staff_absent": 650}), 422, "reason_required")
    assert error["fields"]["reason"] == [
        "Enter a reason for the change: the deadline for this return was 11am on Thursday 13 April 2023"]
    response = api("PUT", RWE_12, ada, {"version": 1, **GOOD, "staff_absent": 650, "reason": "Recount"})
    assert response.status_code == 200 and response.body["revisions"][0]["reason"] == "Recount"


def test_a_first_submission_after_the_deadline_is_late(api, at, action, ada) -> None:
    at(AFTER_DEADLINE)
    assert _create(api, ada).body["is_late"] is True


def test_a_stale_version_is_a_conflict_with_what_changed(api, at, action, ada) -> None:
    at(EVENING_12)
    _create(api, ada)
    api("PUT", RWE_12, ada, {"version": 1, **GOOD, "staff_absent": 650})
    error = _error(api("PUT", RWE_12, ada, {"version": 1, **GOOD, "staff_absent": 800}), 409, "conflict")
    assert error["current_version"] == 2 and error["changes"] == {"staff_absent": [700, 650]}
    assert error["current"]["staff_absent"] == 650
    assert "has changed since you opened it" in error["message"]
    assert DailyReturn.objects.get().staff_absent == 650


def test_creating_a_return_that_exists_is_a_conflict(api, at, action, ada) -> None:
    at(EVENING_12)
    _create(api, ada)
    _error(_create(api, ada, staff_absent=1), 409, "conflict")


# --- locks -------------------------------------------------------------------------------------------

def test_a_locked_return_answers_423_with_the_exact_reason(api, at, action, ada, rwe) -> None:
    at(EVENING_12)
    _create(api, ada)
    at(AFTER_HARD_CLOSE)
    error = _error(api("PUT", RWE_12, ada, {"version": 1, **GOOD, "reason": "x"}), 423, "locked")
    reason = error["lock_reason"]
    assert reason.startswith("Returns for Junior doctors, April 2023 are locked: the action hard-closed at midnight")
    assert error["message"] == reason
    detail = api("GET", RWE_12, ada)
    assert detail.body["lock_reason"] == reason and detail.body["editable"] is False


def test_before_the_strike_day_begins_the_return_is_locked(api, at, action, ada) -> None:
    at(local(2023, 4, 12, 6))
    error = _error(api("PUT", RWE_12, ada, {"version": 0, **GOOD}), 423, "locked")
    assert error["lock_reason"] == ("You cannot enter the return for 12 April 2023 yet: the strike day begins at "
                                    "7am on Wednesday 12 April 2023.")


# --- who may do what ---------------------------------------------------------------------------------

def test_tom_cannot_touch_leicesters_returns(api, at, action, ada, tom) -> None:
    at(EVENING_12)
    _create(api, ada)
    _error(_create(api, tom), 404, "not_found")
    _error(api("PUT", RWE_12, tom, {"version": 1, **GOOD}), 404, "not_found")
    _error(api("GET", RWE_12, tom), 404, "not_found")
    _error(api("GET", RETURNS, tom, trust="RWE"), 404, "not_found")
    assert api("GET", RETURNS, tom).body["count"] == 0


def test_tom_submits_for_his_own_trust(api, at, action, tom) -> None:
    at(EVENING_12)
    response = api("POST", RETURNS, tom, {"trust": "RX1", "action": action.slug, "date": "2023-04-12", **GOOD})
    assert response.status_code == 201 and response.body["trust"] == "RX1"


def test_managers_read_returns_in_their_scope_but_cannot_write(api, at, action, ada, morgan, sam, nia) -> None:
    at(EVENING_12)
    _create(api, ada)
    for manager in (morgan, nia):
        detail = api("GET", RWE_12, manager)
        assert detail.status_code == 200 and detail.body["editable"] is False and detail.body["lock_reason"] is None
        assert [r["trust"] for r in api("GET", RETURNS, manager).body["results"]] == ["RWE"]
        _error(api("PUT", RWE_12, manager, {"version": 1, **GOOD}), 404, "not_found")
        _error(_create(api, manager), 404, "not_found")
    _error(api("GET", RWE_12, sam), 404, "not_found")  # London's manager: Leicester is in the Midlands
    assert api("GET", RETURNS, sam).body["count"] == 0


def test_communications_staff_and_people_without_a_role_see_no_returns(api, at, action, ada, chris, pat) -> None:
    at(EVENING_12)
    _create(api, ada)
    for person in (chris, pat):
        _error(api("GET", RWE_12, person), 404, "not_found")
        _error(_create(api, person), 404, "not_found")
        assert api("GET", RETURNS, person).body["results"] == []


def test_without_a_token_every_returns_endpoint_is_401(api, at, action, ada) -> None:
    at(EVENING_12)
    for response in (api("GET", RETURNS), api("GET", RWE_12), _create(api, None),
                     api("PUT", RWE_12, None, {"version": 0, **GOOD})):
        _error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_list_filters_and_pages(api, at, action, ada, rwe) -> None:
    for date in (dt.date(2023, 4, 11), APR_12, dt.date(2023, 4, 13)):
        make_return(action, rwe, date)
    make_return(action, rwe, dt.date(2023, 4, 14), status=ReturnStatus.DRAFT)
    assert api("GET", RETURNS, ada).body["count"] == 4
    assert api("GET", RETURNS, ada, status="draft").body["count"] == 1
    assert [r["date"] for r in api("GET", RETURNS, ada, date="2023-04-12").body["results"]] == ["2023-04-12"]
    page = api("GET", RETURNS, ada, page_size=2).body
    assert page["pages"] == 2 and len(page["results"]) == 2 and page["results"][0]["date"] == "2023-04-14"
    _error(api("GET", RETURNS, ada, date="12 April"), 400, "invalid_request")


def test_revision_history_is_readable(api, at, action, ada, nia) -> None:
    at(EVENING_12)
    _create(api, ada)
    api("PUT", RWE_12, ada, {"version": 1, **GOOD, "elective_rescheduled": 41})
    history = api("GET", RWE_12, nia).body["revisions"]
    assert [(h["version"], h["changes"], h["changed_by"]) for h in history] == [
        (2, {"elective_rescheduled": [40, 41]}, "Ada")]


def test_another_trust_not_in_the_action_cannot_send_workforce(api, at, ada) -> None:
    make_action(affected=["RX1"])
    at(EVENING_12)
    error = _error(_create(api, ada), 422, "invalid")
    assert error["fields"]["staff_absent"][0].startswith("Leave staff absent empty")
    assert Trust.objects.filter(ods_code="RWE").exists()
