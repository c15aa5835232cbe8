"""Widgets for the NHS.UK date input: three text boxes (day, month, year) in one field."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

# The order the parts appear on the page, which is also the order the error summary
# searches when it links to "the first part with an error".
DATE_PARTS: tuple[str, ...] = ("day", "month", "year")


class DateInputWidget(forms.MultiWidget):
    """Day, month and year inputs named ``<name>-day``, ``<name>-month`` and ``<name>-year``.

    The markup itself comes from ``nhsuk/layout/date_input.html`` (rendered by the
    pack's field template), so this widget only decides names and values. Hyphenated
    names line up with the part ids (``<id>-day``) that nhsuk-frontend generates.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(widgets=[forms.TextInput(), forms.TextInput(), forms.TextInput()], attrs=attrs)
        self.widgets_names = [f"-{part}" for part in DATE_PARTS]

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def part_values(self, value: Any) -> dict[str, str]:
        """The text to show in each box: what the user typed when bound, else the initial date."""
        if not isinstance(value, (list, tuple)):
            value = self.decompress(value)
        return {part: "" if v is None else str(v) for part, v in zip(DATE_PARTS, value, strict=False)}
