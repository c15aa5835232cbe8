"""national_totals: the JSON contract of DOMAIN.md checked against sums computed here, return by return."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections import defaultdict
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.factories import local, make_action, make_return
from trusts.models import DailyReturn, ReturnStatus, Trust
from trusts.selectors.completeness import expected_trusts

pytestmark = pytest.mark.django_db

RESCHEDULED = ("elective_rescheduled", "outpatient_rescheduled", "community_rescheduled", "mental_health_rescheduled")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("national_totals", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def history():
    """Three actions over two seasons with random returns from 30 trusts, some drafts and nil returns."""
    rng = random.Random(4)
    nurses = make_action("nurses-december-2022", "Nurses, December 2022",
                         [(local(2022, 12, 15, 8), local(2022, 12, 15, 20)),
                          (local(2022, 12, 20, 8), local(2022, 12, 20, 20))],
                         staff_group="nurses", unions=["RCN"])
    january = make_action("junior-doctors-march-2023", "Junior doctors, March 2023",
                          [(local(2023, 3, 13, 7), local(2023, 3, 16, 7))])
    april = make_action()
    # Trusts open throughout, so that every return sent is one that was owed.
    trusts = list(Trust.objects.filter(status="active", close_date__isnull=True, open_date__lt=dt.date(2022, 1, 1))
                  .order_by("ods_code")[:30])
    for action in (nurses, january, april):
        for day in action.strike_days.all():
            for index, trust in enumerate(trusts):
                if rng.random() < 0.15:
                    continue  # not sent: missing
                status = ReturnStatus.DRAFT if rng.random() < 0.1 else ReturnStatus.SUBMITTED
                if index % 7 == 0:  # nil return
                    figures: dict[str, Any] = dict.fromkeys(RESCHEDULED, 0)
                else:
                    figures = {f: rng.randint(0, 900) for f in RESCHEDULED}
                if index % 3:  # affected trusts give workforce figures
                    due = rng.randint(50, 2000)
                    figures.update(staff_due=due, staff_absent=rng.randint(0, due))
                make_return(action, trust, day.date, status=status, **figures)
    return [nurses, january, april]


def independent_sums() -> tuple[dict, dict]:
    """Per (action slug, date) and per action, summed in Python from the submitted rows."""
    per_day: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in DailyReturn.objects.filter(status=ReturnStatus.SUBMITTED).select_related("action"):
        row = per_day[(r.action.slug, r.date.isoformat())]
        row["staff_absent"] += r.staff_absent or 0
        row["staff_due"] += r.staff_due or 0
        for f in RESCHEDULED:
            row[f] += getattr(r, f)
        row["acute_rescheduled"] += (r.elective_rescheduled or 0) + (r.outpatient_rescheduled or 0)
        row["total_rescheduled"] += sum(getattr(r, f) for f in RESCHEDULED)
        row["returns_received"] += 1
    per_action: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (slug, _), row in per_day.items():
        for key, value in row.items():
            per_action[slug][key] += value
    return per_day, per_action


def test_json_matches_an_independent_sum_for_every_metric_day_and_action(history) -> None:
    data = json.loads(run("--format", "json"))
    per_day, per_action = independent_sums()
    assert [a["slug"] for a in data["actions"]] == [a.slug for a in history]
    for entry in data["actions"]:
        slug = entry["slug"]
        action = next(a for a in history if a.slug == slug)
        assert entry["name"] == action.name
        assert entry["strike_days"] == [d.date.isoformat() for d in action.strike_days.all()]
        assert [d["date"] for d in entry["days"]] == entry["strike_days"]
        for day in entry["days"]:
            expected = per_day[(slug, day["date"])]
            for metric in ("staff_absent", "staff_due", *RESCHEDULED, "acute_rescheduled", "total_rescheduled"):
                assert day[metric] == expected[metric], (slug, day["date"], metric)
            assert day["returns_received"] == expected["returns_received"]
            assert day["returns_expected"] == expected_trusts(action, dt.date.fromisoformat(day["date"])).count()
        for metric in (*RESCHEDULED, "acute_rescheduled", "total_rescheduled"):
            assert entry["totals"][metric] == per_action[slug][metric], (slug, metric)
        # The peak is the busiest single day, never a sum across days.
        absent_by_day = {date: row["staff_absent"] for (s, date), row in per_day.items() if s == slug}
        peak = max(absent_by_day.values())
        assert entry["totals"]["peak_staff_absent"] == peak
        assert entry["totals"]["peak_staff_absent_date"] == min(d for d, v in absent_by_day.items() if v == peak)
        assert entry["totals"]["peak_staff_absent"] < per_action[slug]["staff_absent"]
        assert entry["headline"].endswith(".")
    everything = {m: sum(per_action[s][m] for s in per_action)
                  for m in (*RESCHEDULED, "acute_rescheduled", "total_rescheduled")}
    assert data["cumulative"] == everything
    assert set(data["cumulative"]) == {*RESCHEDULED, "acute_rescheduled", "total_rescheduled"}


def test_exact_json_shape(history) -> None:
    data = json.loads(run("--format", "json", "--action", "junior-doctors-april-2023"))
    assert set(data) == {"actions", "cumulative"}
    (entry,) = data["actions"]
    assert set(entry) == {"slug", "name", "strike_days", "days", "totals", "coverage", "previous_action",
                          "headline", "season", "timeliness"}
    assert entry["strike_days"] == ["2023-04-11", "2023-04-12", "2023-04-13", "2023-04-14"]
    assert set(entry["days"][0]) == {
        "date", "staff_absent", "staff_due", *RESCHEDULED, "acute_rescheduled", "total_rescheduled",
        "returns_expected", "returns_received", "returns_on_time", "returns_late", "returns_missing", "on_time_rate"}
    assert set(entry["totals"]) == {*RESCHEDULED, "acute_rescheduled", "total_rescheduled", "peak_staff_absent",
                                    "peak_staff_absent_date", "average_staff_absent",
                                    "planned_care_maintained_percent"}
    assert set(entry["coverage"]) == {"returns_expected", "returns_received", "percent"}
    assert entry["coverage"]["returns_expected"] == sum(d["returns_expected"] for d in entry["days"])
    assert entry["coverage"]["returns_received"] == sum(d["returns_received"] for d in entry["days"])
    # The March 2023 junior doctors' action came before April's: same staff group.
    assert entry["previous_action"]["slug"] == "junior-doctors-march-2023"
    assert set(entry["previous_action"]) == {"slug", "acute_rescheduled", "average_staff_absent"}
    assert set(entry["season"]) == {"name", "earlier_actions_acute_rescheduled", "exceeds_all_earlier_combined"}
    dt.date.fromisoformat(entry["totals"]["peak_staff_absent_date"])


def test_cumulative_covers_every_recorded_action_even_when_one_is_listed(history) -> None:
    _, per_action = independent_sums()
    data = json.loads(run("--format", "json", "--action", "nurses-december-2022"))
    assert [a["slug"] for a in data["actions"]] == ["nurses-december-2022"]
    assert data["cumulative"]["total_rescheduled"] == sum(v["total_rescheduled"] for v in per_action.values())


def test_season_compares_with_earlier_actions_of_the_same_winter(history) -> None:
    _, per_action = independent_sums()
    data = {a["slug"]: a for a in json.loads(run("--format", "json"))["actions"]}
    nurses, march, april = (data[s] for s in ("nurses-december-2022", "junior-doctors-march-2023",
                                              "junior-doctors-april-2023"))
    nurses_acute = per_action["nurses-december-2022"]["acute_rescheduled"]
    assert nurses["season"] == {"name": "Winter 2022 to 2023", "earlier_actions_acute_rescheduled": 0,
                                "exceeds_all_earlier_combined": nurses_acute > 0}
    earlier = per_action["nurses-december-2022"]["acute_rescheduled"]
    assert march["season"]["name"] == "Winter 2022 to 2023"
    assert march["season"]["earlier_actions_acute_rescheduled"] == earlier
    assert march["season"]["exceeds_all_earlier_combined"] == (
        per_action["junior-doctors-march-2023"]["acute_rescheduled"] > earlier)
    # April is another season: nothing earlier in it.
    assert april["season"]["name"] == "April to November 2023"
    assert april["season"]["earlier_actions_acute_rescheduled"] == 0


def test_drafts_never_count(rwe) -> None:
    action = make_action()
    make_return(action, rwe, dt.date(2023, 4, 11), status=ReturnStatus.DRAFT, elective_rescheduled=500)
    make_return(action, "RX1", dt.date(2023, 4, 11), elective_rescheduled=7)
    data = json.loads(run("--format", "json"))
    assert data["actions"][0]["days"][0]["elective_rescheduled"] == 7
    assert data["actions"][0]["days"][0]["returns_received"] == 1


def test_an_action_without_returns_reports_nothing_as_null_never_zero(rwe) -> None:
    make_action()
    entry = json.loads(run("--format", "json"))["actions"][0]
    # Nobody reported: null, not 0 (DOMAIN.md, "Missing is never zero").
    assert all(d["total_rescheduled"] is None and d["staff_absent"] is None for d in entry["days"])
    assert entry["totals"]["total_rescheduled"] is None
    assert entry["totals"]["peak_staff_absent"] is None
    assert entry["totals"]["peak_staff_absent_date"] is None
    assert entry["totals"]["average_staff_absent"] is None
    expected = entry["days"][0]["returns_expected"]
    assert expected >= 1 and entry["coverage"] == {"returns_expected": expected * 4, "returns_received": 0,
                                                   "percent": 0.0}
    assert entry["headline"] == ("No returns have been received yet for the junior doctors' industrial action "
                                 "from 11 to 15 April 2023.")
    assert json.loads(run("--format", "json"))["cumulative"]["total_rescheduled"] == 0


def test_unknown_slug_exits_non_zero_with_a_clear_message(history) -> None:
    with pytest.raises(CommandError, match="No industrial action with slug: no-such-action") as error:
        run("--action", "junior-doctors-april-2023", "--action", "no-such-action")
    assert error.value.returncode != 0


def test_csv_has_a_row_per_strike_day_a_total_per_action_and_the_cumulative(history) -> None:
    import csv

    _, per_action = independent_sums()
    rows = list(csv.DictReader(io.StringIO(run("--format", "csv"))))
    assert len(rows) == 2 + 3 + 4 + 3 + 1
    april_total = next(r for r in rows if r["action"] == "junior-doctors-april-2023" and r["date"] == "total")
    assert int(april_total["acute_rescheduled"]) == per_action["junior-doctors-april-2023"]["acute_rescheduled"]
    assert rows[-1]["action"] == "cumulative"


def test_table_prints_the_headline_and_the_peak(history) -> None:
    out = run("--action", "junior-doctors-april-2023")
    assert "appointments and procedures were rescheduled during the junior doctors' industrial action" in out
    assert "Peak staff absent:" in out
    assert "Cumulative since the first recorded action" in out
