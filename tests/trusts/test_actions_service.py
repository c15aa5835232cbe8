"""action_save: the rules of an action and the strike days derived from its windows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.factories import local, make_action, make_return
from trusts.models import AuditEvent, IndustrialAction, StrikeDay, Trust, WalkoutWindow
from trusts.services.actions import ActionInvalid, action_save

pytestmark = pytest.mark.django_db

APRIL = [(local(2023, 4, 11, 7), local(2023, 4, 15, 7))]


def save(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "slug": "junior-doctors-april-2023", "name": "Junior doctors, April 2023", "staff_group": "junior_doctors",
        "unions": ["BMA"], "windows": APRIL, "affected": [], "hard_close": None, "user": None,
    }
    values.update(overrides)
    return action_save(**values)


def snapshot(action: IndustrialAction) -> dict:
    action.refresh_from_db()
    return {
        "fields": (action.slug, action.name, action.staff_group, action.unions, action.first_day, action.last_day,
                   action.hard_close),
        "windows": [(w.starts_at, w.ends_at) for w in action.windows.all()],
        "days": [(d.date, d.starts_at, d.ends_at, d.deadline) for d in action.strike_days.all()],
        "affected": sorted(action.affected_trusts.values_list("ods_code", flat=True)),
    }


def test_builds_exactly_what_the_factory_builds(nia) -> None:
    windows = [(local(2022, 12, 15, 8), local(2022, 12, 15, 20)), (local(2022, 12, 20, 8), local(2022, 12, 20, 20))]
    built = make_action("a", "Nurses", windows, staff_group="nurses", unions=["RCN"], affected=["RWE", "RX1"])
    saved = save(slug="b", name="Nurses", staff_group="nurses", unions=["RCN"], windows=windows,
                 affected=Trust.objects.filter(ods_code__in=["RWE", "RX1"]), user=nia)
    a, b = snapshot(built), snapshot(saved)
    assert a["fields"][1:] == b["fields"][1:]
    assert (a["windows"], a["days"], a["affected"]) == (b["windows"], b["days"], b["affected"])
    assert [d[0] for d in b["days"]] == [dt.date(2022, 12, 15), dt.date(2022, 12, 20)]
    assert saved.created_by == nia


def test_april_2023_gives_four_strike_days_and_the_default_hard_close() -> None:
    action = save()
    assert list(action.strike_days.values_list("date", flat=True)) == [dt.date(2023, 4, d) for d in (11, 12, 13, 14)]
    assert (action.first_day, action.last_day) == (dt.date(2023, 4, 11), dt.date(2023, 4, 14))
    # Five working days after Friday 14 April 2023: 17-21 April.
    assert action.hard_close == dt.date(2023, 4, 21)
    assert AuditEvent.objects.filter(event="action.created", object_id=str(action.pk)).count() == 1


@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"slug": "Bad Slug"}, "slug", "lower-case letters"),
    ({"slug": ""}, "slug", "Enter a short name"),
    ({"name": " "}, "name", "Enter a name"),
    ({"staff_group": "pilots"}, "staff_group", "Select the staff group"),
    ({"unions": []}, "unions", "Select the unions"),
    ({"unions": ["BMA", "NUT"]}, "unions", "Unknown union: NUT"),
    ({"windows": []}, "windows", "at least one walkout window"),
    ({"windows": [(local(2023, 4, 15, 7), local(2023, 4, 11, 7))]}, "windows", "must end after it starts"),
    ({"windows": [(local(2023, 4, 11, 7), local(2023, 4, 13, 7)), (local(2023, 4, 12, 20), local(2023, 4, 14, 7))]},
     "windows", "must not overlap"),
    ({"windows": [(local(2023, 4, 11, 7), local(2023, 4, 12, 9)), (local(2023, 4, 12, 20), local(2023, 4, 13, 7))]},
     "windows", "each start a strike day on 12 April 2023"),
    ({"hard_close": dt.date(2023, 4, 13)}, "hard_close", "on or after the last strike day, 14 April 2023"),
])
def test_each_rule_refuses_and_saves_nothing(overrides, field, text) -> None:
    with pytest.raises(ActionInvalid) as caught:
        save(**overrides)
    assert any(text in m for m in caught.value.message_dict[field]), caught.value.message_dict
    assert not IndustrialAction.objects.exists()
    assert not StrikeDay.objects.exists()


def test_slug_must_be_unique() -> None:
    save()
    with pytest.raises(ActionInvalid) as caught:
        save(name="Another")
    assert "already exists" in caught.value.message_dict["slug"][0]


def test_editing_rebuilds_strike_days_and_keeps_days_with_returns(rwe) -> None:
    action = save()
    twelfth = action.strike_days.get(date=dt.date(2023, 4, 12))
    make_return(action, rwe, dt.date(2023, 4, 12))
    # Shorten to 11-12 April and add 20 April: 13 and 14 go (no returns), 20 comes, 12 keeps its row.
    windows = [(local(2023, 4, 11, 7), local(2023, 4, 13, 7)), (local(2023, 4, 20, 7), local(2023, 4, 21, 7))]
    action = save(action=action, windows=windows)
    assert list(action.strike_days.values_list("date", flat=True)) == [
        dt.date(2023, 4, 11), dt.date(2023, 4, 12), dt.date(2023, 4, 20)]
    assert action.strike_days.get(date=dt.date(2023, 4, 12)).pk == twelfth.pk
    assert action.last_day == dt.date(2023, 4, 20)
    assert WalkoutWindow.objects.filter(action=action).count() == 2
    assert AuditEvent.objects.filter(event="action.updated").count() == 1


def test_refuses_to_drop_a_strike_day_that_has_returns(rwe) -> None:
    action = save()
    make_return(action, rwe, dt.date(2023, 4, 14))
    with pytest.raises(ActionInvalid) as caught:
        save(action=action, windows=[(local(2023, 4, 11, 7), local(2023, 4, 14, 7))])
    assert caught.value.message_dict["windows"] == [
        "These walkout windows would remove strike days that already have returns: 14 April 2023 (1 return). "
        "Keep those days in a walkout window."]
    assert action.strike_days.count() == 4
    action.refresh_from_db()
    assert action.last_day == dt.date(2023, 4, 14)


def test_a_window_across_the_spring_clock_change_keeps_0700() -> None:
    action = save(windows=[(local(2024, 3, 30, 7), local(2024, 4, 1, 7))])
    days = list(action.strike_days.all())
    assert [d.date for d in days] == [dt.date(2024, 3, 30), dt.date(2024, 3, 31)]
    assert days[1].ends_at == local(2024, 4, 1, 7)
    # The clocks go forward at 01:00 on 31 March: the first day is 23 hours long, not the boundary moved.
    assert days[0].ends_at == local(2024, 3, 31, 7)
    assert days[0].ends_at - days[0].starts_at == dt.timedelta(hours=23)
