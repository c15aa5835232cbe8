"""Return rollups: the database triggers keep them equal to a fresh aggregate of the submitted
returns after every kind of write, and check_rollups finds and repairs drift."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import ReturnRollup
from reports.models.rollups import rollup_drift
from reports.selectors.reports import daily_figures, national_totals, per_action_totals
from tests.factories import local, make_action, make_return
from trusts.figures import ROLLUP_FIELDS
from trusts.models import DailyReturn, ReturnStatus, StrikeDay, Trust
from trusts.services.returns import return_save_draft, return_submit

pytestmark = pytest.mark.django_db

APRIL_12 = dt.date(2023, 4, 12)


@pytest.fixture
def april(db):
    return make_action(affected=["RWE", "RX1"])


def rollup(action, date: dt.date) -> dict[str, int]:
    row = ReturnRollup.objects.filter(action=action, date=date).first()
    return row.figures() if row else dict.fromkeys(ROLLUP_FIELDS, 0)


def test_a_submitted_return_is_summed_and_a_draft_is_not(april) -> None:
    make_return(april, "RWE", APRIL_12, staff_absent=700, staff_due=1200, elective_rescheduled=40,
                outpatient_rescheduled=500, community_rescheduled=10, elective_planned=100)
    make_return(april, "RX1", APRIL_12, status=ReturnStatus.DRAFT, elective_rescheduled=999)
    make_return(april, "RHM", APRIL_12)  # a nil return from an unaffected trust
    figures = rollup(april, APRIL_12)
    assert figures == {
        "staff_absent": 700, "staff_due": 1200, "absent_with_due": 700, "workforce_returns": 1,
        "elective_rescheduled": 40, "outpatient_rescheduled": 500, "community_rescheduled": 10,
        "mental_health_rescheduled": 0, "elective_planned": 100, "outpatient_planned": 0,
        "elective_planned_rescheduled": 40, "outpatient_planned_rescheduled": 0,
        "returns": 2, "nil_returns": 1, "late_returns": 0,
    }
    assert rollup_drift() == []


def test_submitting_a_draft_revising_and_deleting_move_the_rollup(april) -> None:
    draft = make_return(april, "RWE", APRIL_12, status=ReturnStatus.DRAFT, outpatient_rescheduled=300)
    assert rollup(april, APRIL_12)["returns"] == 0
    DailyReturn.objects.filter(pk=draft.pk).update(status=ReturnStatus.SUBMITTED, submitted_at=timezone.now(),
                                                   first_submitted_at=timezone.now())
    assert rollup(april, APRIL_12)["outpatient_rescheduled"] == 300
    DailyReturn.objects.filter(pk=draft.pk).update(outpatient_rescheduled=250, is_late=True)
    assert (rollup(april, APRIL_12)["outpatient_rescheduled"], rollup(april, APRIL_12)["late_returns"]) == (250, 1)
    DailyReturn.objects.filter(pk=draft.pk).delete()
    assert rollup(april, APRIL_12) == dict.fromkeys(ROLLUP_FIELDS, 0)
    assert rollup_drift() == []


def test_the_returns_services_keep_the_rollup_in_step(april, ada) -> None:
    rwe = Trust.objects.get(ods_code="RWE")
    now = local(2023, 4, 12, 12)
    figures = {"staff_absent": 700, "staff_due": 1200, "elective_rescheduled": 40, "outpatient_rescheduled": 500,
               "community_rescheduled": 10, "mental_health_rescheduled": 0}
    return_save_draft(action=april, trust=rwe, day=dt.date(2023, 4, 11), figures={"staff_due": 1200}, user=ada,
                      now=now)
    assert rollup(april, dt.date(2023, 4, 11))["returns"] == 0
    return_submit(action=april, trust=rwe, day=dt.date(2023, 4, 11), figures=figures, user=ada, now=now)
    assert rollup(april, dt.date(2023, 4, 11))["outpatient_rescheduled"] == 500
    return_submit(action=april, trust=rwe, day=dt.date(2023, 4, 11), figures={**figures, "outpatient_rescheduled": 450},
                  user=ada, reason="Recounted.", now=now)
    assert rollup(april, dt.date(2023, 4, 11))["outpatient_rescheduled"] == 450
    assert rollup_drift() == []


def test_a_bulk_import_by_copy_and_its_revisions_keep_the_rollup_in_step(april, tmp_path: Path) -> None:
    path = tmp_path / "returns.csv"
    header = "action,ods_code,date,staff_absent,staff_due,elective_rescheduled,outpatient_rescheduled," \
             "community_rescheduled,mental_health_rescheduled\n"
    rows = [f"{april.slug},{ods},2023-04-{day},10,100,1,20,3,0\n" for ods in ("RWE", "RX1") for day in (11, 12, 13)]
    path.write_text(header + "".join(rows))
    call_command("import_returns", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert rollup(april, APRIL_12)["outpatient_rescheduled"] == 40
    path.write_text(header + "".join(rows).replace(",20,3,0", ",25,3,0"))
    call_command("import_returns", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert rollup(april, APRIL_12)["outpatient_rescheduled"] == 50
    assert rollup_drift() == []


def test_the_report_selectors_read_the_rollups(april) -> None:
    make_return(april, "RWE", APRIL_12, elective_rescheduled=40, outpatient_rescheduled=500)
    # Moving the rollup behind the triggers' back shows where the figures come from.
    ReturnRollup.objects.filter(action=april, date=APRIL_12).update(outpatient_rescheduled=F("outpatient_rescheduled")
                                                                    + 1)
    assert per_action_totals()[april.pk].outpatient_rescheduled == 501
    day = next(d for d in national_totals()["actions"][0]["days"] if d["date"] == APRIL_12.isoformat())
    assert day["acute_rescheduled"] == 541


def test_check_rollups_passes_then_finds_drift_then_repairs_it(april) -> None:
    make_return(april, "RWE", APRIL_12, outpatient_rescheduled=500)
    out = io.StringIO()
    call_command("check_rollups", stdout=out)
    assert "Rollups match the returns (1 action-day rows)" in out.getvalue()

    ReturnRollup.objects.filter(action=april).update(outpatient_rescheduled=7)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 rollup rows differ") as raised:
        call_command("check_rollups", stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert f"{april.slug} 2023-04-12: outpatient_rescheduled 7 (fresh 500)" in err.getvalue()

    out = io.StringIO()
    call_command("check_rollups", "--repair", stdout=out, stderr=io.StringIO())
    assert "Repaired: 1 rows had drifted" in out.getvalue()
    assert rollup(april, APRIL_12)["outpatient_rescheduled"] == 500
    call_command("check_rollups", stdout=io.StringIO())


def test_a_rollup_row_with_no_fresh_returns_behind_it_is_drift(april) -> None:
    ReturnRollup.objects.create(action=april, date=APRIL_12, returns=1)
    assert rollup_drift() == [((april.pk, APRIL_12), {"returns": (1, 0)})]


def test_truncating_the_returns_empties_the_rollups(april) -> None:
    make_return(april, "RWE", APRIL_12)
    with connection.cursor() as cursor:
        # Check the deferred foreign keys now: TRUNCATE refuses a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE trusts_dailyreturn CASCADE")
    assert not ReturnRollup.objects.exists()


# --- property: any sequence of writes leaves rollups equal to a fresh aggregate ---------------

SLOTS = [(ods, day) for ods in ("RWE", "RX1", "RHM") for day in (11, 12)]
counts = st.integers(min_value=0, max_value=1000)


@st.composite
def figures(draw: st.DrawFn) -> dict[str, int | None]:
    due = draw(st.none() | counts)
    values: dict[str, int | None] = {
        "staff_due": due,
        "staff_absent": None if due is None else draw(st.integers(0, due)),
        "elective_rescheduled": draw(counts), "outpatient_rescheduled": draw(counts),
        "community_rescheduled": draw(counts), "mental_health_rescheduled": draw(counts),
    }
    values["elective_planned"] = draw(st.none() | st.integers(values["elective_rescheduled"], 2000))
    values["outpatient_planned"] = draw(st.none() | st.integers(values["outpatient_rescheduled"], 2000))
    return values


operations = st.lists(st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(SLOTS), st.booleans(), figures(), st.booleans()),
    st.tuples(st.just("update"), st.sampled_from(SLOTS), figures()),
    st.tuples(st.just("submit"), st.sampled_from(SLOTS)),
    st.tuples(st.just("to_draft"), st.sampled_from(SLOTS)),
    st.tuples(st.just("delete"), st.sampled_from(SLOTS)),
    st.tuples(st.just("bulk_update"), st.integers(0, 5)),
    st.tuples(st.just("bulk_create"), st.lists(st.sampled_from(SLOTS), max_size=4, unique=True), figures()),
    st.tuples(st.just("bulk_delete"), st.sampled_from((11, 12))),
), max_size=12)


def _new(action, slot: tuple[str, int], submitted: bool, values: dict[str, int | None],
         late: bool = False) -> DailyReturn:
    ods, day = slot
    date = dt.date(2023, 4, day)
    when = timezone.now() if submitted else None
    return DailyReturn(
        action=action, trust=Trust.objects.get(ods_code=ods),
        strike_day=StrikeDay.objects.get(action=action, date=date),
        date=date, status=ReturnStatus.SUBMITTED if submitted else ReturnStatus.DRAFT, submitted_at=when,
        first_submitted_at=when, is_late=late, is_nil=not any(values.get(f) for f in (
            "elective_rescheduled", "outpatient_rescheduled", "community_rescheduled", "mental_health_rescheduled")),
        **values)


def _apply(action, operation: tuple) -> None:
    kind, *args = operation
    stored = DailyReturn.objects.filter(action=action)
    if kind == "insert":
        slot, submitted, values, late = args
        if not stored.filter(trust__ods_code=slot[0], date__day=slot[1]).exists():
            _new(action, slot, submitted, values, late).save()
    elif kind == "update":
        slot, values = args
        stored.filter(trust__ods_code=slot[0], date__day=slot[1]).update(**values)
    elif kind == "submit":
        now = timezone.now()
        stored.filter(trust__ods_code=args[0][0], date__day=args[0][1]).update(
            status=ReturnStatus.SUBMITTED, submitted_at=now, first_submitted_at=now)
    elif kind == "to_draft":
        stored.filter(trust__ods_code=args[0][0], date__day=args[0][1]).update(status=ReturnStatus.DRAFT)
    elif kind == "delete":
        stored.filter(trust__ods_code=args[0][0], date__day=args[0][1]).delete()
    elif kind == "bulk_update":
        # A multi-row statement, as import_returns's UPDATE ... FROM makes.
        stored.update(community_rescheduled=F("community_rescheduled") + args[0], is_late=~F("is_late"))
    elif kind == "bulk_create":
        slots, values = args
        taken = set(stored.values_list("trust__ods_code", "date__day"))
        DailyReturn.objects.bulk_create([_new(action, slot, True, values) for slot in slots if slot not in taken])
    elif kind == "bulk_delete":
        stored.filter(date__day=args[0]).delete()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=operations)
def test_any_sequence_of_writes_leaves_the_rollups_equal_to_a_fresh_aggregate_of_every_figure(april, sequence) -> None:
    with transaction.atomic():
        for operation in sequence:
            _apply(april, operation)
        assert rollup_drift() == []
        # Every figure the reports read (trusts.figures: stored, derived and planned-care sums)
        # is the same read from the rollups (England) as summed from the returns.
        assert daily_figures([april]) == daily_figures([april], Trust.objects.all())
        # Each example starts from no returns: undo this one's writes (and the triggers' with them).
        transaction.set_rollback(True)
