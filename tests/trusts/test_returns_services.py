"""Daily returns, the write side: every validation rule, warnings, deadlines, locks, revisions, conflicts."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import connection

from tests.factories import local, make_action, make_return
from trusts.models import AuditEvent, DailyReturn, ReturnReopening, ReturnRevision, ReturnStatus, Trust
from trusts.services.returns import (
    ReasonRequired,
    ReturnAlreadySubmitted,
    ReturnConflict,
    ReturnInvalid,
    ReturnLocked,
    WarningsNeedComment,
    earlier_medians,
    return_check,
    return_save_draft,
    return_submit,
    trust_medians,
)

pytestmark = pytest.mark.django_db

APR_12 = dt.date(2023, 4, 12)
EVENING_12 = local(2023, 4, 12, 18)  # after the strike day began, before its deadline (11am 13 April)
GOOD = {"staff_absent": 700, "staff_due": 1200, "elective_rescheduled": 40, "outpatient_rescheduled": 500,
        "community_rescheduled": 10, "mental_health_rescheduled": 0}
RESCHEDULED_ONLY = {"elective_rescheduled": 4, "outpatient_rescheduled": 30, "community_rescheduled": 2,
                    "mental_health_rescheduled": 0}


@pytest.fixture
def action():
    return make_action(affected=["RWE", "RX1"])


@pytest.fixture
def other_trust(db) -> Trust:
    return Trust.objects.get(ods_code="RHM")  # Southampton: not affected by the action above


def _submit(action, trust, *, figures=None, now=EVENING_12, day=APR_12, user=None, **kwargs):
    figures = GOOD if figures is None else figures
    return return_submit(action=action, trust=trust, day=day, figures=figures, user=user, now=now, **kwargs)


def _errors(action, trust, figures, *, day=APR_12, now=EVENING_12, complete=True) -> dict[str, str]:
    return return_check(action=action, trust=trust, day=day, figures=figures, now=now, complete=complete).errors


# --- hard errors -----------------------------------------------------------------------------------

def test_a_complete_return_submits_on_time_with_an_audit_event(action, rwe, ada) -> None:
    saved = _submit(action, rwe, user=ada)
    assert saved.status == ReturnStatus.SUBMITTED
    assert saved.first_submitted_at == EVENING_12 == saved.submitted_at
    assert saved.submitted_by == ada
    assert not saved.is_late
    assert not saved.is_nil
    assert saved.version == 1
    assert (saved.staff_absent, saved.staff_due, saved.outpatient_rescheduled) == (700, 1200, 500)
    event = AuditEvent.objects.get(event="return.submitted")
    assert event.trust_code == "RWE"
    assert event.actor == ada
    assert "12 April 2023" in event.summary


@pytest.mark.parametrize(("raw", "message"), [
    ("seven hundred", "Staff absent must be a number, like 120"),
    ("12.5", "Staff absent must be a whole number, like 120"),
    (12.5, "Staff absent must be a whole number, like 120"),
    ("-1", "Staff absent must be 0 or more"),
    (-1, "Staff absent must be 0 or more"),
    ("1000001", "Staff absent must be 1,000,000 or fewer"),
    (True, "Staff absent must be a number, like 120"),
])
def test_counts_are_whole_numbers_from_0_to_a_million(action, rwe, raw, message) -> None:
    errors = _errors(action, rwe, {**GOOD, "staff_absent": raw, "staff_due": 1_000_000})
    assert errors == {"staff_absent": message}


@pytest.mark.parametrize("raw", ["1,000,000", "1000000", 1_000_000, " 0 ", "0"])
def test_limits_and_thousands_separators_are_accepted(action, rwe, raw) -> None:
    assert _errors(action, rwe, {**GOOD, "staff_due": raw, "staff_absent": 0}) == {}


def test_each_figure_has_its_own_message(action, rwe) -> None:
    errors = _errors(action, rwe, {**GOOD, "mental_health_rescheduled": "x", "elective_planned": "-4"})
    assert errors == {
        "mental_health_rescheduled": "Mental health and learning disability appointments rescheduled must be a "
                                     "number, like 120",
        "elective_planned": "Elective procedures planned must be 0 or more",
    }


def test_staff_absent_may_not_exceed_staff_due(action, rwe) -> None:
    errors = _errors(action, rwe, {**GOOD, "staff_absent": 1201, "staff_due": 1200})
    assert errors == {"staff_absent": "Staff absent must be the same as or fewer than staff due to work (1,200)"}
    assert _errors(action, rwe, {**GOOD, "staff_absent": 1200, "staff_due": 1200}) == {}


def test_rescheduled_may_not_exceed_planned_where_given(action, rwe) -> None:
    errors = _errors(action, rwe, {**GOOD, "elective_rescheduled": 41, "elective_planned": 40,
                                   "outpatient_rescheduled": 500, "outpatient_planned": 499})
    assert errors == {
        "elective_rescheduled": "Elective procedures rescheduled must be the same as or fewer than "
                                "elective procedures planned (40)",
        "outpatient_rescheduled": "Outpatient appointments rescheduled must be the same as or fewer than "
                                  "outpatient appointments planned (499)",
    }
    assert _errors(action, rwe, {**GOOD, "elective_planned": 40}) == {}


def test_the_date_must_be_a_strike_day_of_the_action(action, rwe) -> None:
    errors = _errors(action, rwe, GOOD, day=dt.date(2023, 4, 15), now=local(2023, 4, 16, 9))
    assert errors == {"date": "15 April 2023 is not a strike day of Junior doctors, April 2023"}


def test_the_strike_day_must_have_begun(action, rwe) -> None:
    errors = _errors(action, rwe, GOOD, now=local(2023, 4, 12, 6, 59))
    assert errors == {"date": "The strike day 12 April 2023 has not begun: you can enter its return from "
                              "7am on Wednesday 12 April 2023"}
    assert _errors(action, rwe, GOOD, now=local(2023, 4, 12, 7)) == {}


def test_workforce_figures_are_refused_for_a_trust_the_action_does_not_affect(action, other_trust) -> None:
    errors = _errors(action, other_trust, GOOD)
    assert errors == {
        "staff_absent": "Leave staff absent empty: the action does not affect this trust, so it has no "
                        "workforce figures",
        "staff_due": "Leave staff due to work empty: the action does not affect this trust, so it has no "
                     "workforce figures",
    }
    assert _errors(action, other_trust, RESCHEDULED_ONLY) == {}
    assert _errors(action, other_trust, {**RESCHEDULED_ONLY, "staff_absent": "", "staff_due": None}) == {}


def test_workforce_figures_are_required_from_an_affected_trust(action, rwe) -> None:
    assert _errors(action, rwe, RESCHEDULED_ONLY) == {
        "staff_absent": "Enter the number of staff absent",
        "staff_due": "Enter the number of staff due to work",
    }


def test_an_action_with_no_affected_trusts_affects_every_trust(other_trust) -> None:
    everyone = make_action(slug="nurses", name="Nurses, April 2023", affected=[])
    assert set(_errors(everyone, other_trust, RESCHEDULED_ONLY)) == {"staff_absent", "staff_due"}
    assert _errors(everyone, other_trust, GOOD) == {}


def test_all_four_rescheduled_figures_are_required_to_submit_but_not_for_a_draft(action, rwe, ada) -> None:
    partial = {"staff_absent": 700, "staff_due": 1200, "elective_rescheduled": 3}
    assert _errors(action, rwe, partial) == {
        "outpatient_rescheduled": "Enter the number of outpatient appointments rescheduled",
        "community_rescheduled": "Enter the number of community appointments rescheduled",
        "mental_health_rescheduled": "Enter the number of mental health and learning disability appointments "
                                     "rescheduled",
    }
    assert _errors(action, rwe, partial, complete=False) == {}
    draft = return_save_draft(action=action, trust=rwe, day=APR_12, figures=partial, user=ada, now=EVENING_12)
    assert draft.status == ReturnStatus.DRAFT
    assert draft.outpatient_rescheduled is None
    assert draft.first_submitted_at is None


def test_a_draft_still_refuses_wrong_figures(action, rwe, ada) -> None:
    with pytest.raises(ReturnInvalid) as raised:
        return_save_draft(action=action, trust=rwe, day=APR_12, figures={"staff_absent": 9, "staff_due": 3},
                          user=ada, now=EVENING_12)
    assert set(raised.value.check.errors) == {"staff_absent"}
    assert not DailyReturn.objects.exists()


def test_an_invalid_submission_saves_nothing(action, rwe, ada) -> None:
    with pytest.raises(ReturnInvalid) as raised:
        _submit(action, rwe, figures={**GOOD, "staff_absent": 1201}, user=ada)
    assert raised.value.check.errors["staff_absent"].startswith("Staff absent must be the same as or fewer")
    assert not DailyReturn.objects.exists()
    assert not AuditEvent.objects.filter(event__startswith="return.").exists()


# --- nil returns -------------------------------------------------------------------------------------

def test_a_nil_return_is_submitted_zeros_not_a_missing_return(action, rwe, other_trust, ada) -> None:
    saved = _submit(action, rwe, figures={"staff_due": 1200}, nil=True, user=ada)
    assert saved.is_nil
    assert saved.status == ReturnStatus.SUBMITTED
    assert (saved.staff_absent, saved.staff_due, saved.elective_rescheduled, saved.mental_health_rescheduled) \
        == (0, 1200, 0, 0)
    unaffected = _submit(action, other_trust, figures={}, nil=True)
    assert unaffected.is_nil
    assert unaffected.staff_absent is None
    not_submitted = DailyReturn.objects.filter(trust__ods_code="RX1")
    assert not not_submitted.exists()


def test_a_nil_return_from_an_affected_trust_still_needs_staff_due(action, rwe) -> None:
    with pytest.raises(ReturnInvalid) as raised:
        _submit(action, rwe, figures={}, nil=True)
    assert raised.value.check.errors == {"staff_due": "Enter the number of staff due to work"}


# --- warnings ---------------------------------------------------------------------------------------

@pytest.fixture
def history(rwe):
    """RWE's earlier strike days (another action, in March): outpatient medians 100, staff absent 200."""
    march = make_action(slug="march", name="Junior doctors, March 2023",
                        windows=[(local(2023, 3, 13, 7), local(2023, 3, 16, 7))], affected=["RWE"])
    for day, outpatient, absent in [(13, 80, 150), (14, 100, 200), (15, 130, 260)]:
        make_return(march, rwe, dt.date(2023, 3, day), outpatient_rescheduled=outpatient,
                    staff_absent=absent, staff_due=1200)
    return march


def test_more_than_three_times_the_median_of_earlier_strike_days_is_a_warning(action, rwe, history) -> None:
    check = return_check(action=action, trust=rwe, day=APR_12, now=EVENING_12,
                         figures={**GOOD, "outpatient_rescheduled": 301, "staff_absent": 600})
    assert check.ok
    assert check.medians["outpatient_rescheduled"] == 100
    assert check.warnings == {
        "outpatient_rescheduled": "Outpatient appointments rescheduled (301) is more than 3 times this trust's "
                                  "usual figure on earlier strike days (median 100)",
    }
    exactly_three = return_check(action=action, trust=rwe, day=APR_12, now=EVENING_12,
                                 figures={**GOOD, "outpatient_rescheduled": 300, "staff_absent": 600})
    assert exactly_three.warnings == {}


def test_the_median_counts_only_earlier_strike_days_and_submitted_returns(action, rwe, history) -> None:
    make_return(action, rwe, dt.date(2023, 4, 13), outpatient_rescheduled=10_000, staff_absent=0, staff_due=1)
    make_return(action, rwe, dt.date(2023, 4, 11), status=ReturnStatus.DRAFT, outpatient_rescheduled=10_000)
    medians = earlier_medians({rwe.pk: [APR_12, dt.date(2023, 3, 14), dt.date(2023, 3, 13)]})
    assert medians[(rwe.pk, APR_12)]["outpatient_rescheduled"] == 100
    assert medians[(rwe.pk, dt.date(2023, 3, 14))]["outpatient_rescheduled"] == 80
    assert (rwe.pk, dt.date(2023, 3, 13)) not in medians  # no earlier strike day: no baseline, no warning


def test_the_single_submission_median_equals_the_streamed_one_for_every_day(rwe) -> None:
    """trust_medians (one SQL aggregate on PostgreSQL) must give exactly what earlier_medians (the
    import's streamed version) gives: odd and even counts, missing workforce figures, drafts, ties,
    several actions, and a day with no history."""
    rng = random.Random(6)
    actions = [make_action(slug=f"action-{n}", name=f"Action {n}",
                           windows=[(local(2023, 1 + 2 * n, 10, 7), local(2023, 1 + 2 * n, 13, 7))])
               for n in range(4)]
    days: list[dt.date] = []
    for action in actions:
        for day in action.strike_days.values_list("date", flat=True):
            days.append(day)
            workforce = ({"staff_due": rng.randint(100, 900), "staff_absent": rng.randint(0, 100)}
                         if rng.random() < 0.6 else {"staff_due": None, "staff_absent": None})
            make_return(action, rwe, day, status=ReturnStatus.DRAFT if rng.random() < 0.15 else ReturnStatus.SUBMITTED,
                        elective_rescheduled=rng.choice([0, 0, 5, 12, 12, 40]),
                        outpatient_rescheduled=rng.randint(0, 300), community_rescheduled=rng.choice([0, 3, 3, 7]),
                        mental_health_rescheduled=rng.randint(0, 4), **workforce)
    streamed = earlier_medians({rwe.pk: days})
    assert len(streamed) >= len(days) - 2  # most days have history: the comparison is not vacuous
    assert any(len(medians) == 6 for medians in streamed.values())
    for day in days:
        assert trust_medians(rwe, day) == streamed.get((rwe.pk, day), {}), day


def test_no_earlier_returns_or_a_zero_median_gives_no_median_warning(action, rwe) -> None:
    check = return_check(action=action, trust=rwe, day=APR_12, now=EVENING_12, figures=GOOD)
    assert check.warnings == {}
    make_return(action, rwe, dt.date(2023, 4, 11), staff_absent=0, staff_due=1200)
    check = return_check(action=action, trust=rwe, day=APR_12, now=EVENING_12, figures=GOOD)
    assert check.medians["outpatient_rescheduled"] == 0
    assert check.warnings == {}


def test_more_than_90_percent_of_due_staff_absent_is_a_warning(action, rwe) -> None:
    check = return_check(action=action, trust=rwe, day=APR_12, now=EVENING_12,
                         figures={**GOOD, "staff_absent": 1081, "staff_due": 1200})
    assert check.warnings == {"staff_absent": "Staff absent (1,081) is more than 90% of staff due to work (1,200)"}
    at_90 = return_check(action=action, trust=rwe, day=APR_12, now=EVENING_12,
                         figures={**GOOD, "staff_absent": 1080, "staff_due": 1200})
    assert at_90.warnings == {}


def test_a_warning_needs_a_comment_to_submit(action, rwe, ada) -> None:
    figures = {**GOOD, "staff_absent": 1150}
    with pytest.raises(WarningsNeedComment) as raised:
        _submit(action, rwe, figures=figures, user=ada, warning_comment="   ")
    assert set(raised.value.check.warnings) == {"staff_absent"}
    assert not DailyReturn.objects.exists()
    saved = _submit(action, rwe, figures=figures, user=ada, warning_comment="Whole rota of the day walked out")
    assert saved.warning_comment == "Whole rota of the day walked out"


# --- deadlines --------------------------------------------------------------------------------------

def test_the_deadline_skips_a_bank_holiday_weekend_and_the_late_flag_follows_it(rwe) -> None:
    # Thursday 6 April 2023: Good Friday, the weekend and Easter Monday follow, so the return is
    # due at 11am on Tuesday 11 April.
    easter = make_action(slug="easter", name="Easter action",
                         windows=[(local(2023, 4, 6, 7), local(2023, 4, 7, 7))], affected=[])
    day = dt.date(2023, 4, 6)
    on_time = _submit(easter, rwe, day=day, now=local(2023, 4, 11, 10, 59))
    assert on_time.strike_day.deadline == local(2023, 4, 11, 11)
    assert not on_time.is_late
    other = Trust.objects.get(ods_code="RX1")
    late = _submit(easter, other, day=day, now=local(2023, 4, 11, 11, 1))
    assert late.is_late
    assert AuditEvent.objects.get(trust_code="RX1").summary.endswith("submitted late")


def test_a_late_flag_is_about_the_first_submission_only(action, rwe) -> None:
    _submit(action, rwe)
    revised = _submit(action, rwe, figures={**GOOD, "elective_rescheduled": 41}, now=local(2023, 4, 14, 9),
                      reason="Theatre list recounted")
    assert not revised.is_late
    assert revised.first_submitted_at == EVENING_12


# --- locks ---------------------------------------------------------------------------------------------

AFTER_HARD_CLOSE = local(2023, 4, 22, 0, 0)  # hard close: end of Friday 21 April (5 working days after 14 April)


def test_returns_lock_after_the_hard_close_and_say_exactly_why(action, rwe, ada) -> None:
    with pytest.raises(ReturnLocked) as raised:
        _submit(action, rwe, user=ada, now=AFTER_HARD_CLOSE)
    assert raised.value.reason == (
        "Returns for Junior doctors, April 2023 are locked: the action hard-closed at midnight on "
        "Saturday 22 April 2023. Ask NHS England to reopen your trust's returns if a figure must change.")
    with pytest.raises(ReturnLocked):
        return_save_draft(action=action, trust=rwe, day=APR_12, figures=GOOD, user=ada, now=AFTER_HARD_CLOSE)
    assert not DailyReturn.objects.exists()
    assert _submit(action, rwe, user=ada, now=local(2023, 4, 21, 23, 59)).is_late  # a minute before: accepted


def test_a_reopening_unlocks_one_trust_until_it_closes(action, rwe, nia, ada) -> None:
    reopening = ReturnReopening.objects.create(action=action, trust=rwe, reopened_by=nia, reason="Recount",
                                               closes_at=local(2023, 4, 28, 17))
    rx1 = Trust.objects.get(ods_code="RX1")
    with pytest.raises(ReturnLocked):
        _submit(action, rx1, now=local(2023, 4, 25, 9))
    saved = _submit(action, rwe, user=ada, now=local(2023, 4, 25, 9))
    assert saved.is_late
    revise = {**GOOD, "staff_absent": 699}
    with pytest.raises(ReturnLocked) as after:
        _submit(action, rwe, user=ada, figures=revise, reason="Recount", now=local(2023, 4, 28, 17))
    assert "They were reopened for University Hospitals of Leicester NHS Trust until 5pm on Friday 28 April 2023; " \
           "that reopening has ended." in after.value.reason
    _submit(action, rwe, user=ada, figures=revise, reason="Recount", now=local(2023, 4, 26, 11))
    reopening.closed_early_at = local(2023, 4, 26, 12)
    reopening.save()
    with pytest.raises(ReturnLocked):
        _submit(action, rwe, user=ada, figures=GOOD, reason="Back", now=local(2023, 4, 26, 13))


def test_a_return_cannot_be_entered_before_its_strike_day_begins(action, rwe, ada) -> None:
    with pytest.raises(ReturnLocked) as raised:
        _submit(action, rwe, user=ada, now=local(2023, 4, 11, 20))
    assert raised.value.reason == ("You cannot enter the return for 12 April 2023 yet: the strike day begins at 7am "
                                   "on Wednesday 12 April 2023.")


def test_a_date_that_is_not_a_strike_day_cannot_be_submitted(action, rwe) -> None:
    with pytest.raises(ReturnInvalid) as raised:
        _submit(action, rwe, day=dt.date(2023, 4, 20))
    assert raised.value.check.errors == {"date": "20 April 2023 is not a strike day of Junior doctors, April 2023"}


# --- revisions -----------------------------------------------------------------------------------------

def test_every_change_after_first_submission_is_a_revision(action, rwe, ada) -> None:
    first = _submit(action, rwe, user=ada)
    assert not first.revisions.exists()
    revised = _submit(action, rwe, figures={**GOOD, "staff_absent": 720, "elective_rescheduled": 45}, user=ada,
                      now=local(2023, 4, 13, 9), reason="Late shift counted")
    assert revised.version == 2
    revision = ReturnRevision.objects.get()
    assert revision.version == 2
    assert revision.changed_by == ada
    assert revision.reason == "Late shift counted"
    assert revision.changes == {"staff_absent": [700, 720], "elective_rescheduled": [40, 45]}
    assert revision.source == "web"
    event = AuditEvent.objects.get(event="return.revised")
    assert event.details["changes"] == {"staff_absent": [700, 720], "elective_rescheduled": [40, 45]}


def test_before_the_deadline_a_reason_is_optional(action, rwe, ada) -> None:
    _submit(action, rwe, user=ada)
    _submit(action, rwe, figures={**GOOD, "community_rescheduled": 11}, user=ada, now=local(2023, 4, 13, 10, 59))
    assert ReturnRevision.objects.get().reason == ""


def test_after_the_deadline_a_revision_needs_a_reason(action, rwe, ada) -> None:
    _submit(action, rwe, user=ada)
    with pytest.raises(ReasonRequired) as raised:
        _submit(action, rwe, figures={**GOOD, "community_rescheduled": 11}, user=ada, now=local(2023, 4, 13, 11, 1))
    assert str(raised.value) == "Enter a reason for the change: the deadline for this return was 11am on " \
                                "Thursday 13 April 2023"
    assert DailyReturn.objects.get().community_rescheduled == 10
    assert not ReturnRevision.objects.exists()


def test_submitting_the_same_figures_again_changes_nothing(action, rwe, ada) -> None:
    _submit(action, rwe, user=ada)
    again = _submit(action, rwe, user=ada, now=local(2023, 4, 20, 9))
    assert again.version == 1
    assert not ReturnRevision.objects.exists()
    assert AuditEvent.objects.filter(event__startswith="return.").count() == 1


def test_turning_a_return_into_a_nil_return_is_traced(action, rwe, ada) -> None:
    _submit(action, rwe, user=ada)
    _submit(action, rwe, figures={"staff_due": 1200}, nil=True, user=ada, reason="Figures were for RX1")
    changes = ReturnRevision.objects.get().changes
    assert changes["is_nil"] == [False, True]
    assert changes["outpatient_rescheduled"] == [500, 0]


def test_a_submitted_return_cannot_go_back_to_draft(action, rwe, ada) -> None:
    _submit(action, rwe, user=ada)
    with pytest.raises(ReturnAlreadySubmitted):
        return_save_draft(action=action, trust=rwe, day=APR_12, figures=GOOD, user=ada, now=EVENING_12)


def test_a_draft_then_submitted_is_a_first_submission_not_a_revision(action, rwe, ada) -> None:
    draft = return_save_draft(action=action, trust=rwe, day=APR_12, figures={"staff_absent": 5}, user=ada,
                              now=local(2023, 4, 12, 9), expected_version=0)
    assert draft.version == 1
    saved = _submit(action, rwe, user=ada, expected_version=1)
    assert saved.version == 2
    assert saved.first_submitted_at == EVENING_12
    assert not ReturnRevision.objects.exists()


# --- concurrent edits -------------------------------------------------------------------------------

def test_the_second_writer_gets_a_conflict_showing_what_changed(action, rwe, ada, tom) -> None:
    _submit(action, rwe, user=ada)
    # Ada and a colleague both open version 1; the colleague saves first.
    _submit(action, rwe, figures={**GOOD, "staff_absent": 710}, user=tom, expected_version=1)
    with pytest.raises(ReturnConflict) as raised:
        _submit(action, rwe, figures={**GOOD, "elective_rescheduled": 50}, user=ada, expected_version=1)
    assert raised.value.changes == {"staff_absent": [700, 710]}
    assert raised.value.current is not None and raised.value.current.version == 2
    assert "changed since you opened it" in str(raised.value)
    saved = DailyReturn.objects.get()
    assert (saved.staff_absent, saved.elective_rescheduled, saved.version) == (710, 40, 2)


def test_a_writer_who_saw_no_return_conflicts_with_one_created_meanwhile(action, rwe, ada) -> None:
    return_save_draft(action=action, trust=rwe, day=APR_12, figures={"staff_absent": 5}, user=ada,
                      now=EVENING_12, expected_version=0)
    with pytest.raises(ReturnConflict):
        _submit(action, rwe, user=ada, expected_version=0)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_writers_never_lose_an_update(rwe, ada, tom) -> None:
    action = make_action(affected=["RWE"])
    _submit(action, rwe, user=ada)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(user, absent: int) -> None:
        try:
            barrier.wait()
            _submit(action, rwe, figures={**GOOD, "staff_absent": absent}, user=user, expected_version=1)
            outcomes.append("saved")
        except ReturnConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(ada, 701)), threading.Thread(target=writer, args=(tom, 702))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    saved = DailyReturn.objects.get()
    assert saved.version == 2
    assert ReturnRevision.objects.get().changes["staff_absent"] == [700, saved.staff_absent]
