"""trusts.dates: every named format, the template filter over the same names, spans of days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template

from trusts.dates import FORMATS, date_span, days_list, formatted

DAY = dt.date(2023, 4, 5)
# 08:30 UTC is 09:30 in London (British Summer Time): times are shown in UK time.
MOMENT = dt.datetime(2023, 4, 5, 8, 30, 15, tzinfo=dt.UTC)

EXPECTED = {
    "date": "5 April 2023", "day": "Wednesday 5 April 2023", "day_month": "5 April",
    "day_no_year": "Wednesday 5 April", "short_date": "5 Apr 2023", "short_day": "Wed 5 Apr 2023",
    "short_day_no_year": "Wed 5 Apr", "short_day_month": "5 Apr", "column_date": "05 Apr 2023",
    "iso": "2023-04-05", "time": "09:30", "moment": "9:30am on Wednesday 5 April 2023",
    "time_on_date": "09:30 on 5 April 2023", "time_on_day": "09:30 on Wednesday 5 April 2023",
    "time_on_day_month": "09:30 on 5 April",
    "time_day": "09:30 Wednesday 5 April 2023", "time_date": "09:30 5 April 2023",
    "time_day_month": "09:30 5 April", "short_time_day": "09:30 Wed 5 Apr", "date_time": "5 April 2023 09:30",
    "date_comma_time": "5 April 2023, 09:30", "date_at_time": "5 April 2023 at 09:30",
    "day_at_time": "Wednesday 5 April 2023 at 09:30", "short_date_time": "5 Apr 2023, 09:30",
    "short_date_seconds": "5 Apr 2023, 09:30:15", "date_12h": "5 April 2023, 9:30a.m.",
    "date_12h_spaced": "5 April 2023, 9:30 a.m.", "stamp": "2023-04-05 09:30",
}


def test_every_named_format_has_its_example() -> None:
    assert set(EXPECTED) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_python_and_templates_write_the_same_text(name: str) -> None:
    assert formatted(MOMENT, name) == EXPECTED[name]
    rendered = Template("{% load dates %}{{ value|formatted:name }}").render(Context({"value": MOMENT, "name": name}))
    assert rendered == EXPECTED[name]


@pytest.mark.parametrize(("hour", "minute", "text"), [
    (0, 0, "midnight"), (12, 0, "midday"), (11, 0, "11am"), (9, 5, "9:05am"), (15, 30, "3:30pm"), (23, 59, "11:59pm"),
])
def test_a_moment_is_written_as_nhs_uk_writes_times(hour: int, minute: int, text: str) -> None:
    moment = dt.datetime(2023, 4, 13, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert formatted(moment, "moment") == f"{text} on Thursday 13 April 2023"


def test_dates_are_written_without_a_time_and_nothing_is_written_for_nothing() -> None:
    assert formatted(DAY, "day") == "Wednesday 5 April 2023"
    template = Template('{% load dates %}[{{ missing|formatted:"day" }}][{{ blank|formatted:"day" }}]')
    assert template.render(Context({"missing": None, "blank": ""})) == "[][]"


def test_an_unknown_name_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(KeyError):
        Template('{% load dates %}{{ value|formatted:"dya" }}').render(Context({"value": DAY}))


@pytest.mark.parametrize(("first", "last", "text"), [
    (dt.date(2023, 1, 5), dt.date(2023, 1, 5), "5 January 2023"),
    (dt.date(2023, 4, 11), dt.date(2023, 4, 14), "11 to 14 April 2023"),
    (dt.date(2023, 4, 30), dt.date(2023, 5, 1), "30 April to 1 May 2023"),
    (dt.date(2022, 12, 30), dt.date(2023, 1, 2), "30 December 2022 to 2 January 2023"),
])
def test_a_span_says_each_month_and_year_once(first: dt.date, last: dt.date, text: str) -> None:
    assert date_span(first, last) == text


@pytest.mark.parametrize(("days", "text"), [
    ([dt.date(2022, 12, 15), dt.date(2022, 12, 20)], "15 and 20 December 2022"),
    ([dt.date(2023, 2, 28), dt.date(2023, 3, 1), dt.date(2023, 3, 2)], "28 February, 1 and 2 March 2023"),
    ([dt.date(2022, 12, 30), dt.date(2023, 1, 2)], "30 December 2022 and 2 January 2023"),
])
def test_separate_days_name_a_month_or_year_only_where_it_changes(days: list[dt.date], text: str) -> None:
    assert days_list(days) == text
