import datetime as dt

import pytest

from trusts.strike_calendar import (
    LONDON,
    default_hard_close,
    is_working_day,
    return_deadline,
    season_of,
    strike_days,
    strike_days_for_window,
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def labels(days) -> list[dt.date]:
    return [d.date for d in days]


def hours(day) -> float:
    # Python subtracts two datetimes with the same tzinfo as wall-clock times; go through UTC.
    return (day.ends_at.astimezone(dt.UTC) - day.starts_at.astimezone(dt.UTC)).total_seconds() / 3600


def test_junior_doctors_april_2023_gives_four_strike_days() -> None:
    days = strike_days_for_window(local(2023, 4, 11, 7), local(2023, 4, 15, 7))
    assert labels(days) == [dt.date(2023, 4, d) for d in (11, 12, 13, 14)]
    assert [hours(d) for d in days] == [24, 24, 24, 24]


def test_a_window_across_the_spring_clock_change_keeps_0700_boundaries() -> None:
    # Clocks went forward at 01:00 on Sunday 26 March 2023.
    days = strike_days_for_window(local(2023, 3, 24, 7), local(2023, 3, 28, 7))
    assert labels(days) == [dt.date(2023, 3, d) for d in (24, 25, 26, 27)]
    assert [d.starts_at.astimezone(LONDON).hour for d in days] == [7, 7, 7, 7]
    # The day that holds the change is 23 hours long; the others 24.
    assert [hours(d) for d in days] == [24, 23, 24, 24]


def test_a_window_across_the_autumn_clock_change() -> None:
    days = strike_days_for_window(local(2023, 10, 28, 7), local(2023, 10, 30, 7))
    assert [hours(d) for d in days] == [25, 24]


def test_a_last_day_shorter_than_24_hours() -> None:
    days = strike_days_for_window(local(2024, 2, 24, 7), local(2024, 2, 28, 23, 59))
    assert labels(days) == [dt.date(2024, 2, d) for d in (24, 25, 26, 27, 28)]
    assert days[-1].ends_at == local(2024, 2, 28, 23, 59)


def test_a_2000_start_is_labelled_with_the_date_it_starts_on() -> None:
    days = strike_days_for_window(local(2023, 4, 30, 20), local(2023, 5, 2, 0))
    assert labels(days) == [dt.date(2023, 4, 30), dt.date(2023, 5, 1)]
    assert days[1].ends_at == local(2023, 5, 2, 0)


def test_two_one_day_windows_in_one_action() -> None:
    # Nurses, December 2022: 08:00-20:00 on 15 and on 20 December.
    days = strike_days([(local(2022, 12, 20, 8), local(2022, 12, 20, 20)),
                        (local(2022, 12, 15, 8), local(2022, 12, 15, 20))])
    assert labels(days) == [dt.date(2022, 12, 15), dt.date(2022, 12, 20)]


def test_overlapping_windows_and_backwards_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        strike_days([(local(2023, 1, 1, 7), local(2023, 1, 3, 7)), (local(2023, 1, 2, 9), local(2023, 1, 2, 10))])
    with pytest.raises(ValueError, match="end after"):
        strike_days_for_window(local(2023, 1, 2, 7), local(2023, 1, 1, 7))


def test_deadline_is_1100_the_next_working_day() -> None:
    assert return_deadline(dt.date(2023, 4, 11)) == local(2023, 4, 12, 11)
    # Friday 14 April 2023 -> Monday 17 April.
    assert return_deadline(dt.date(2023, 4, 14)) == local(2023, 4, 17, 11)


def test_deadline_skips_a_bank_holiday_weekend() -> None:
    # Friday 26 May 2023; Monday 29 May was the spring bank holiday -> Tuesday 30 May.
    assert not is_working_day(dt.date(2023, 5, 29))
    assert return_deadline(dt.date(2023, 5, 26)) == local(2023, 5, 30, 11)
    # Easter 2023: Thursday 6 April -> Good Friday and Easter Monday are holidays -> Tuesday 11 April.
    assert return_deadline(dt.date(2023, 4, 6)) == local(2023, 4, 11, 11)


def test_hard_close_is_five_working_days_after_the_last_strike_day() -> None:
    assert default_hard_close(dt.date(2023, 4, 14)) == dt.date(2023, 4, 21)


def test_seasons() -> None:
    assert season_of(dt.date(2023, 1, 11))[0] == "Winter 2022 to 2023"
    assert season_of(dt.date(2022, 12, 15))[0] == "Winter 2022 to 2023"
    assert season_of(dt.date(2023, 4, 11))[0] == "April to November 2023"


def test_an_action_links_to_its_page(db) -> None:
    from tests.factories import make_action

    assert make_action().get_absolute_url() == "/actions/junior-doctors-april-2023/"
