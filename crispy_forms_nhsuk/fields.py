"""Form fields for NHS.UK patterns that Django has no equivalent for."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from crispy_forms_nhsuk.widgets import DATE_PARTS, DateInputWidget

_MISSING_CODES: dict[tuple[str, ...], str] = {
    ("day",): "incomplete_day",
    ("month",): "incomplete_month",
    ("year",): "incomplete_year",
    ("day", "month"): "incomplete_day_month",
    ("day", "year"): "incomplete_day_year",
    ("month", "year"): "incomplete_month_year",
}


class DateInputField(forms.MultiValueField):
    """A ``datetime.date`` entered as day, month and year, with NHS.UK error messages.

    Every error carries ``params["parts"]``: the parts to highlight. The pack's templates
    use it to mark just those boxes (``nhsuk-input--error``) and the error summary links to
    the first of them (``#<id>-month`` when only the month is missing), as the NHS.UK
    date input guidance asks. Errors raised elsewhere (a form's ``clean_<field>``) have no
    parts, so the whole date is highlighted and the summary links to the day.

    ``subject`` is how messages name the date: ``DateInputField(subject="Strike day")``
    gives "Strike day must include a month".
    """

    widget = DateInputWidget
    default_error_messages = {
        "required": "Enter a date",
        "incomplete_day": "%(subject)s must include a day",
        "incomplete_month": "%(subject)s must include a month",
        "incomplete_year": "%(subject)s must include a year",
        "incomplete_day_month": "%(subject)s must include a day and month",
        "incomplete_day_year": "%(subject)s must include a day and year",
        "incomplete_month_year": "%(subject)s must include a month and year",
        "invalid": "%(subject)s must be a real date",
        "year_digits": "Year must include 4 numbers",
    }

    def __init__(self, *, subject: str = "Date", **kwargs: Any) -> None:
        self.subject = subject
        parts = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        # require_all_fields=False: we report missing parts ourselves, with NHS.UK wording,
        # instead of MultiValueField's generic "Enter a complete value".
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def _error(self, code: str, parts: tuple[str, ...]) -> ValidationError:
        return ValidationError(
            self.error_messages[code], code=code, params={"subject": self.subject, "parts": list(parts)}
        )

    def clean(self, value: Any) -> datetime.date | None:
        if isinstance(value, datetime.date):
            return value
        if not isinstance(value, (list, tuple)):
            value = [None, None, None]
        day, month, year = ((str(v).strip() if v is not None else "") for v in value)
        given = {"day": day, "month": month, "year": year}

        if not any(given.values()):
            if self.required:
                raise self._error("required", DATE_PARTS)
            return None

        missing = tuple(part for part in DATE_PARTS if not given[part])
        if missing:
            raise self._error(_MISSING_CODES[missing], missing)

        not_numbers = tuple(part for part in DATE_PARTS if not given[part].isdigit())
        if not_numbers:
            raise self._error("invalid", not_numbers)
        if len(year) != 4:
            raise self._error("year_digits", ("year",))
        if not 1 <= int(month) <= 12:
            raise self._error("invalid", ("month",))
        try:
            date = datetime.date(int(year), int(month), int(day))
        except ValueError:
            # The month and year are fine by now, so the day is what cannot exist (31 February).
            raise self._error("invalid", ("day",)) from None

        self.validate(date)
        self.run_validators(date)
        return date

    def validate(self, value: Any) -> None:
        # MultiValueField.validate is a no-op; "required" is handled in clean().
        pass

    def compress(self, data_list: list[Any]) -> datetime.date | None:
        # clean() builds the date itself so that it can say which part is wrong; this is the plain
        # MultiValueField contract for callers that compress already-cleaned parts.
        if not data_list or all(part in (None, "") for part in data_list):
            return None
        day, month, year = (int(part) for part in data_list)
        return datetime.date(year, month, day)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            cleaned = self.clean(data)
        except ValidationError:
            return True
        return cleaned != (initial if isinstance(initial, datetime.date) else None)


def error_parts(error: ValidationError) -> list[str]:
    """The date parts an error is about; every part when the error does not say."""
    params = getattr(error, "params", None) or {}
    parts = [part for part in params.get("parts", []) if part in DATE_PARTS]
    return parts or list(DATE_PARTS)
