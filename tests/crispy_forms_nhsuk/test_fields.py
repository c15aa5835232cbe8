"""DateInputField: what it accepts, and which parts each NHS.UK error message points at."""

from __future__ import annotations

import datetime

import pytest
from django import forms

from crispy_forms_nhsuk.fields import DateInputField, error_parts


class StrikeDayForm(forms.Form):
    strike_day = DateInputField(label="Strike day")
    optional_day = DateInputField(label="Optional", required=False)


def _form(day: str = "", month: str = "", year: str = "") -> StrikeDayForm:
    return StrikeDayForm(data={"strike_day-day": day, "strike_day-month": month, "strike_day-year": year})


def _error(form: StrikeDayForm) -> tuple[str, list[str]]:
    assert not form.is_valid()
    error = form.errors.as_data()["strike_day"][0]
    return str(form.errors["strike_day"][0]), error_parts(error)


def test_valid_date_is_a_date() -> None:
    form = _form(" 3 ", "07", "2024")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["strike_day"] == datetime.date(2024, 7, 3)
    assert form.cleaned_data["optional_day"] is None


@pytest.mark.parametrize(
    ("parts", "message", "highlighted"),
    [
        (("", "", ""), "Enter a date", ["day", "month", "year"]),
        (("3", "", "2024"), "Date must include a month", ["month"]),
        (("", "7", "2024"), "Date must include a day", ["day"]),
        (("3", "7", ""), "Date must include a year", ["year"]),
        (("", "", "2024"), "Date must include a day and month", ["day", "month"]),
        (("3", "", ""), "Date must include a month and year", ["month", "year"]),
        (("", "7", ""), "Date must include a day and year", ["day", "year"]),
        (("31", "2", "2024"), "Date must be a real date", ["day"]),
        (("3", "13", "2024"), "Date must be a real date", ["month"]),
        (("3", "July", "2024"), "Date must be a real date", ["month"]),
        (("3", "7", "24"), "Year must include 4 numbers", ["year"]),
    ],
)
def test_errors_name_the_problem_and_the_parts(
    parts: tuple[str, str, str], message: str, highlighted: list[str]
) -> None:
    assert _error(_form(*parts)) == (message, highlighted)


def test_subject_and_custom_messages() -> None:
    field = DateInputField(subject="Strike day", error_messages={"required": "Enter the strike day"})
    with pytest.raises(forms.ValidationError) as missing_month:
        field.clean(["3", "", "2024"])
    assert missing_month.value.messages == ["Strike day must include a month"]
    with pytest.raises(forms.ValidationError) as empty:
        field.clean(["", "", ""])
    assert empty.value.messages == ["Enter the strike day"]


def test_errors_from_elsewhere_highlight_every_part() -> None:
    assert error_parts(forms.ValidationError("Strike day must be in the past")) == ["day", "month", "year"]


def test_initial_date_fills_the_boxes() -> None:
    form = StrikeDayForm(initial={"strike_day": datetime.date(2024, 7, 3)})
    html = str(form["strike_day"].value())
    assert html == "2024-07-03"
    widget = form.fields["strike_day"].widget
    assert widget.part_values(form["strike_day"].value()) == {"day": "3", "month": "7", "year": "2024"}


def test_has_changed_compares_dates() -> None:
    field = DateInputField()
    assert not field.has_changed(datetime.date(2024, 7, 3), ["3", "7", "2024"])
    assert field.has_changed(datetime.date(2024, 7, 3), ["4", "7", "2024"])
    assert field.has_changed(None, ["x", "7", "2024"])
