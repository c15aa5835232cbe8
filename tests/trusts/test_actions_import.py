"""python manage.py import_actions: the DOMAIN.md layout, upsert by slug, all-or-nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import REPO
from tests.factories import make_return
from trusts.models import IndustrialAction, StrikeDay

pytestmark = pytest.mark.django_db

HEADER = "slug,name,staff_group,unions,windows,affected\n"
APRIL = 'junior-doctors-april-2023,"Junior doctors, April 2023",junior_doctors,BMA,2023-04-11T07:00/2023-04-15T07:00,\n'
NURSES = ('nurses-december-2022,"Nurses, December 2022",nurses,RCN,'
          "2022-12-15T08:00/2022-12-15T20:00;2022-12-20T08:00/2022-12-20T20:00,RWE;rx1\n")


def run(tmp_path: Path, text: str) -> tuple[str, str]:
    path = tmp_path / "actions.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_actions", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "actions.csv"
    path.write_text(text, encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_actions", str(path), stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert "nothing was saved" in str(caught.value)
    return err.getvalue().splitlines()


def test_a_good_file_creates_actions_with_their_strike_days(tmp_path) -> None:
    out, _ = run(tmp_path, HEADER + APRIL + NURSES)
    assert out.strip() == "2 created, 0 updated, 0 unchanged."
    april = IndustrialAction.objects.get(slug="junior-doctors-april-2023")
    assert list(april.strike_days.values_list("date", flat=True)) == [dt.date(2023, 4, d) for d in (11, 12, 13, 14)]
    assert april.affects_all_trusts
    nurses = IndustrialAction.objects.get(slug="nurses-december-2022")
    assert nurses.unions == ["RCN"]
    assert sorted(nurses.affected_trusts.values_list("ods_code", flat=True)) == ["RWE", "RX1"]
    assert list(nurses.strike_days.values_list("date", flat=True)) == [dt.date(2022, 12, 15), dt.date(2022, 12, 20)]


def test_importing_again_is_an_upsert_by_slug(tmp_path) -> None:
    run(tmp_path, HEADER + APRIL + NURSES)
    out, _ = run(tmp_path, HEADER + APRIL + NURSES)
    assert out.strip() == "0 created, 0 updated, 2 unchanged."
    changed = APRIL.replace("2023-04-15T07:00", "2023-04-14T07:00").replace("BMA", "BMA;HCSA")
    out, _ = run(tmp_path, HEADER + changed)
    assert out.strip() == "0 created, 1 updated, 0 unchanged."
    april = IndustrialAction.objects.get(slug="junior-doctors-april-2023")
    assert april.unions == ["BMA", "HCSA"]
    assert april.last_day == dt.date(2023, 4, 13)
    assert IndustrialAction.objects.count() == 2


def test_every_error_has_its_line_and_column_and_nothing_is_saved(tmp_path) -> None:
    bad = (
        HEADER + APRIL
        + "Bad Slug,Name,junior_doctors,BMA,2023-06-14T07:00/2023-06-17T07:00,\n"
        + "june,June,pilots,NUT,2023-06-14T07:00/2023-06-12T07:00,\n"
        + "july,July,junior_doctors,BMA,13 July 2023,XXX1;RWE\n"
        + "junior-doctors-april-2023,Again,junior_doctors,BMA,2023-04-11T07:00/2023-04-12T07:00,\n"
    )
    errors = run_failing(tmp_path, bad)
    text = "\n".join(errors)
    assert "line 3, column slug: The slug must contain only lower-case letters" in text
    assert "line 4, column staff_group: Select the staff group taking action" in text
    assert "line 4, column unions: Unknown union: NUT" in text
    assert "line 4, column windows: Walkout window 1 must end after it starts" in text
    assert "line 5, column windows: window 1 '13 July 2023' is not START/END" in text
    assert "line 5, column affected: unknown ODS code: XXX1" in text
    assert "line 6, column slug: junior-doctors-april-2023 already appears on line 2" in text
    assert all(e.startswith(str(tmp_path)) for e in errors)
    assert not IndustrialAction.objects.exists()


def test_a_change_that_would_drop_a_day_with_returns_fails_the_whole_file(tmp_path, rwe) -> None:
    run(tmp_path, HEADER + APRIL)
    make_return(IndustrialAction.objects.get(), rwe, dt.date(2023, 4, 14))
    shorter = APRIL.replace("2023-04-15T07:00", "2023-04-14T07:00")
    errors = run_failing(tmp_path, HEADER + NURSES + shorter)
    assert errors == [f"{tmp_path / 'actions.csv'}: line 3, column windows: These walkout windows would remove "
                      "strike days that already have returns: 14 April 2023 (1 return). "
                      "Keep those days in a walkout window."]
    # The nurses' action on line 2 was valid, but the file is all-or-nothing.
    assert list(IndustrialAction.objects.values_list("slug", flat=True)) == ["junior-doctors-april-2023"]
    assert StrikeDay.objects.count() == 4


def test_a_missing_column_and_an_empty_file(tmp_path) -> None:
    errors = run_failing(tmp_path, "slug,name,staff_group,unions,windows\n" + APRIL)
    assert errors == [f"{tmp_path / 'actions.csv'}: line 1: missing column: affected"]
    errors = run_failing(tmp_path, HEADER)
    assert errors == [f"{tmp_path / 'actions.csv'}: line 2: the file has a header but no actions"]


def test_a_time_skipped_by_the_clock_change_is_refused(tmp_path) -> None:
    errors = run_failing(tmp_path, HEADER + "x,X,nurses,RCN,2024-03-31T01:30/2024-03-31T20:00,\n")
    assert "line 2, column windows: window 1: 2024-03-31T01:30 does not exist in UK time" in errors[0]


def test_the_shipped_file_of_real_actions_imports(tmp_path) -> None:
    out = StringIO()
    call_command("import_actions", str(REPO / "trusts" / "data" / "actions_2022_2024.csv"), stdout=out)
    created = int(out.getvalue().split()[0])
    assert created == IndustrialAction.objects.count() >= 20
    feb = IndustrialAction.objects.get(slug="junior-doctors-february-2024")
    assert list(feb.strike_days.values_list("date", flat=True)) == [dt.date(2024, 2, d) for d in range(24, 29)]
    rcn = IndustrialAction.objects.get(slug="nurses-april-may-2023")
    assert list(rcn.strike_days.values_list("date", flat=True)) == [dt.date(2023, 4, 30), dt.date(2023, 5, 1)]


def test_seed_demo_loads_the_real_actions_and_a_current_one_and_can_run_again(rwe) -> None:
    from django.core.management.base import OutputWrapper
    from django.utils import timezone

    from trusts.management.commands.seed_demo import seed_demo_actions

    seed_demo_actions(OutputWrapper(StringIO()))
    current = IndustrialAction.objects.get(slug="demo-current-action")
    today = timezone.localdate()
    assert list(current.strike_days.values_list("date", flat=True)) == [
        today - dt.timedelta(days=2), today - dt.timedelta(days=1), today]
    make_return(current, rwe, today - dt.timedelta(days=2))
    out = StringIO()
    seed_demo_actions(OutputWrapper(out))
    assert "0 created, 0 updated" in out.getvalue()
    assert IndustrialAction.objects.filter(slug="demo-current-action").count() == 1
