"""`{% load figures %}`: how a page states a figure (completeness.reported_text) and names it
(the vocabulary, trusts.figures)."""

from __future__ import annotations

from django import template

from trusts.figures import RESCHEDULED_METRICS, SHORT_LABELS, WORKFORCE_FIELDS
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


# The groups of figures a table heads with short labels, by the name templates give them.
FIGURE_GROUPS = {"workforce": WORKFORCE_FIELDS, "rescheduled": RESCHEDULED_METRICS}


@register.filter
def short_label(name: str) -> str:
    """{{ "staff_due"|short_label }}: the figure's table column heading ("Staff due")."""
    return SHORT_LABELS[name]


@register.filter
def short_labels(group: str) -> list[str]:
    """{% for label in "rescheduled"|short_labels %}: the column headings of a group of figures."""
    return [SHORT_LABELS[name] for name in FIGURE_GROUPS[group]]
