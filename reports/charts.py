"""Server-rendered SVG charts for the reports: readable without JavaScript, with a title and a
description for assistive technology, every value written as text (never colour alone), and the
same figures in an adjacent table on every page that shows one. Styling lives in reports.css."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from trusts.selectors.completeness import reported_text

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 36, 48


@dataclass(frozen=True)
class Point:
    label: str  # shown under the bar or point, e.g. "Tue 11 Apr"
    value: int | None  # None: nobody reported; written "Not submitted", drawn as nothing (never 0)

    @property
    def drawn(self) -> int:
        return self.value or 0

    @property
    def text(self) -> str:
        return reported_text(self.value)


def _plot_height() -> int:
    return HEIGHT - TOP - BOTTOM


def _slot(count: int) -> float:
    return (WIDTH - LEFT - RIGHT) / max(count, 1)


def _describe(points: Sequence[Point], unit: str) -> str:
    return "; ".join(f"{p.label}: {p.text}" + ("" if p.value is None else f" {unit}") for p in points) + "."


def _frame(chart_id: str, kind: str, title: str, description: str, body: str) -> SafeString:
    return format_html(
        '<svg class="app-chart app-chart--{kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        'role="img" aria-labelledby="{id}-title {id}-desc" focusable="false">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<line class="app-chart__axis" x1="{left}" y1="{base}" x2="{right}" y2="{base}"></line>{body}</svg>',
        kind=kind, w=WIDTH, h=HEIGHT, id=chart_id, title=title, desc=description, left=LEFT,
        # body is built from escaped parts (format_html), so it may be marked safe.
        right=WIDTH - RIGHT, base=HEIGHT - BOTTOM, body=mark_safe(body),  # noqa: S308  # nosec B308, B703
    )


def bar_chart(chart_id: str, title: str, points: Sequence[Point], unit: str) -> SafeString:
    """One bar per strike day, its value written above it and its date below it."""
    top = max((p.drawn for p in points), default=0) or 1
    slot = _slot(len(points))
    bar_width = slot * 0.6
    parts = []
    for index, point in enumerate(points):
        height = _plot_height() * point.drawn / top
        x = LEFT + index * slot + (slot - bar_width) / 2
        y = HEIGHT - BOTTOM - height
        centre = x + bar_width / 2
        parts.append(
            f'<rect class="app-chart__bar" x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{height:.1f}">'
            f'</rect><text class="app-chart__value" x="{centre:.1f}" y="{y - 8:.1f}" text-anchor="middle">'
            f'{point.text}</text><text class="app-chart__label" x="{centre:.1f}" y="{HEIGHT - BOTTOM + 24}" '
            f'text-anchor="middle">{escape(point.label)}</text>'
        )
    return _frame(chart_id, "bar", title, f"Bar chart. {_describe(points, unit)}", "".join(parts))


def line_chart(chart_id: str, title: str, points: Sequence[Point], unit: str) -> SafeString:
    """A line through each strike day's value, each point marked and labelled with its value."""
    top = max((p.drawn for p in points), default=0) or 1
    slot = _slot(len(points))
    coordinates = []
    for index, point in enumerate(points):
        x = LEFT + index * slot + slot / 2
        y = HEIGHT - BOTTOM - _plot_height() * point.drawn / top
        coordinates.append((x, y, point))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coordinates)
    parts = [f'<polyline class="app-chart__line" points="{path}"></polyline>'] if len(coordinates) > 1 else []
    for x, y, point in coordinates:
        parts.append(
            f'<circle class="app-chart__point" cx="{x:.1f}" cy="{y:.1f}" r="5"></circle>'
            f'<text class="app-chart__value" x="{x:.1f}" y="{y - 12:.1f}" text-anchor="middle">{point.text}</text>'
            f'<text class="app-chart__label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 24}" text-anchor="middle">'
            f'{escape(point.label)}</text>'
        )
    return _frame(chart_id, "line", title, f"Line chart. {_describe(points, unit)}", "".join(parts))
