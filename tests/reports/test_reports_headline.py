"""The headline sentence and its rounding rule, the action's dates, and the season comparison."""

from __future__ import annotations

import pytest

from reports.selectors.reports import (
    Figures,
    SeasonComparison,
    action_period,
    headline,
    headline_figure,
    season_comparison,
    season_sentence,
)
from tests.factories import local, make_action

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("count", "stated", "exact"), [
    (196_000, 196_000, True),      # exactly round, above 100,000
    (196_001, 196_000, False),     # just above a round figure
    (46_300, 46_000, False),       # below 100,000: two significant figures
    (46_000, 46_000, True),
    (99_999, 99_000, False),       # never rounds up to 100,000
    (100_000, 100_000, True),
    (100_999, 100_000, False),     # at 100,000 and above: three significant figures
    (412_987, 412_000, False),
    (1_234_567, 1_230_000, False),
    (463, 460, False),
    (7, 7, True),
    (0, 0, True),
])
def test_headline_figure_never_overstates(count: int, stated: int, exact: bool) -> None:
    assert headline_figure(count) == (stated, exact)
    assert headline_figure(count)[0] <= count


@pytest.fixture
def april():
    return make_action()


def test_headline_above_100000_says_more_than(april) -> None:
    assert headline(april, 196_125, list(april.strike_days.all())) == (
        "More than 196,000 appointments and procedures were rescheduled during the junior doctors' industrial "
        "action from 11 to 15 April 2023.")


def test_exactly_round_figure_is_stated_as_it_is(april) -> None:
    assert headline(april, 196_000, list(april.strike_days.all())) == (
        "196,000 appointments and procedures were rescheduled during the junior doctors' industrial "
        "action from 11 to 15 April 2023.")


def test_just_above_a_round_figure_is_more_than_that_figure(april) -> None:
    assert headline(april, 175_001, list(april.strike_days.all())).startswith("More than 175,000 appointments")


def test_below_100000_floors_to_two_significant_figures(april) -> None:
    assert headline(april, 46_300, list(april.strike_days.all())).startswith("More than 46,000 appointments")
    assert headline(april, 1, list(april.strike_days.all())).startswith("1 appointment or procedure was rescheduled")


def test_dates_of_actions_with_other_shapes() -> None:
    nurses = make_action("nurses-dec-2022", "Nurses, December 2022",
                         [(local(2022, 12, 15, 8), local(2022, 12, 15, 20)),
                          (local(2022, 12, 20, 8), local(2022, 12, 20, 20))], staff_group="nurses")
    assert action_period(list(nurses.strike_days.all())) == "on 15 and 20 December 2022"
    may = make_action("may", "May", [(local(2023, 4, 30, 20), local(2023, 5, 2, 0))], staff_group="consultants")
    # Ending at midnight means the walkout's last date is 1 May.
    assert action_period(list(may.strike_days.all())) == "from 30 April to 1 May 2023"
    assert headline(may, 50, list(may.strike_days.all())) == (
        "50 appointments and procedures were rescheduled during the consultants' industrial action "
        "from 30 April to 1 May 2023.")
    feb = make_action("feb", "Feb", [(local(2023, 2, 24, 7), local(2023, 2, 28, 23, 59))])
    assert action_period(list(feb.strike_days.all())) == "from 24 to 28 February 2023"
    one_day = make_action("one", "One", [(local(2023, 1, 5, 7), local(2023, 1, 5, 19))])
    assert action_period(list(one_day.strike_days.all())) == "on 5 January 2023"


def _comparison(this: int, earlier: int, earlier_actions: int, winter: bool = True) -> SeasonComparison:
    return SeasonComparison(name="Winter 2022 to 2023" if winter else "April to November 2023", is_winter=winter,
                            earlier_actions=[object()] * earlier_actions,  # type: ignore[list-item]
                            earlier_acute_rescheduled=earlier, acute_rescheduled=this)


def test_season_sentence_when_greater_than_all_earlier_combined(april) -> None:
    assert season_sentence(april, _comparison(200_000, 150_000, 2)) == (
        "The junior doctors' industrial action had a greater impact than all other industrial action this winter "
        "combined.")


def test_season_sentence_is_honest_when_not_greater(april) -> None:
    sentence = season_sentence(april, _comparison(100_000, 150_000, 2))
    assert "greater impact" not in sentence
    assert sentence == (
        "The junior doctors' industrial action had less impact than all other industrial action this winter "
        "combined: 100,000 acute appointments and procedures were rescheduled, against 150,000 during the 2 "
        "earlier actions combined.")
    assert "the same impact as" in season_sentence(april, _comparison(5, 5, 1))
    assert season_sentence(april, _comparison(5, 0, 0, winter=False)) == (
        "The junior doctors' industrial action was the first industrial action this season "
        "(April to November 2023).")


def test_season_comparison_takes_only_earlier_actions_of_the_same_season() -> None:
    december = make_action("dec", "Dec", [(local(2022, 12, 15, 8), local(2022, 12, 15, 20))], staff_group="nurses")
    january = make_action("jan", "Jan", [(local(2023, 1, 18, 8), local(2023, 1, 19, 8))], staff_group="nurses")
    november = make_action("nov", "Nov", [(local(2022, 11, 20, 8), local(2022, 11, 21, 8))])
    april = make_action("apr", "Apr", [(local(2023, 4, 11, 7), local(2023, 4, 15, 7))])
    actions = [april, january, november, december]
    totals = {december.pk: Figures(acute_rescheduled=10), january.pk: Figures(acute_rescheduled=25),
              november.pk: Figures(acute_rescheduled=1000), april.pk: Figures(acute_rescheduled=3)}
    comparison = season_comparison(january, actions, totals)
    assert comparison is not None
    assert comparison.earlier_actions == [december]
    assert comparison.earlier_acute_rescheduled == 10
    assert comparison.exceeds_all_earlier_combined
    april_comparison = season_comparison(april, actions, totals)
    assert april_comparison is not None and april_comparison.earlier_actions == []
