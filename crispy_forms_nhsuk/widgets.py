"""Widgets for the NHS.UK date input: three text boxes (day, month, year) in one field."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

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


def _attrs_html(attrs: dict[str, Any]) -> SafeString:
    """Django's widgets/attrs.html in Python: True is a bare attribute, False leaves it out."""
    return format_html_join("", " {}{}", (
        (name, "" if value is True else format_html('="{}"', value))
        for name, value in attrs.items() if value is not False and value is not None))


def render_select(widget: forms.Select, name: str, value: Any, attrs: dict[str, Any]) -> SafeString:
    """The markup of Django's select.html and select_option.html, built in Python.

    Django renders one template per option: for the ~500 trusts in the public notices filter that was
    most of the page's time. Same options, same attributes, same escaping (format_html)."""
    context = widget.get_context(name, value, attrs)["widget"]
    parts = [format_html('<select name="{}"{}>', context["name"], _attrs_html(context["attrs"]))]
    for group_name, options, _index in context["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        parts.extend(format_html('\n  <option value="{}"{}>{}</option>\n', str(option["value"]),
                                 _attrs_html(option["attrs"]), option["label"]) for option in options)
        if group_name:
            parts.append(mark_safe("\n  </optgroup>"))  # nosec B308 B703 # a constant
    parts.append(mark_safe("\n</select>"))  # nosec B308 B703 # a constant
    return SafeString("".join(parts))  # nosec B703 # every part is format_html-escaped
