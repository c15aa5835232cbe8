"""`{% load figures %}`: how a page states a figure (completeness.reported_text)."""

from __future__ import annotations

from django import template

from trusts.selectors.completeness import ReportStatus, reported_text

register = template.Library()


@register.filter
def figure(value: int | float | str | None) -> str:
    """{{ value|figure }}: "Not submitted" for a figure nobody reported, never "0"; else 1,234.
    "" is what a template gives for a figure of a missing object (no returns in scope): the same."""
    return reported_text(None if value == "" else value)  # type: ignore[arg-type]


@register.filter
def status_label(value: str | None) -> str:
    """{{ row.status|status_label }}: "Nil return" for "nil return" ("" when it owed nothing)."""
    return ReportStatus(value).label if value in ReportStatus.values else ""
