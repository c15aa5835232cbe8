"""The vocabulary of the figures: every figure a return carries or a report derives, said once.

Each figure has a name (the field, the JSON key, the CSV column of the command-line contract), a
label (sentence case, as forms, messages, downloads and data dictionaries say it), a short label
(a table column under a heading that already says what the columns count), a help text, a unit,
and the totals it belongs to. Everything else reads this module: return forms and messages, the
API serializers, model help_text, reports, downloads, templates (`{% load figures %}`) and the
notice placeholders.

The same module defines the aggregates once (RETURN_SUMS, DERIVED): what one return adds to each
sum, and the figures that are sums of other sums. The report selectors annotate with
aggregates(); the rollup triggers' SQL (migration 0009) adds trigger_contributions() per return,
and tests/trusts/test_figures_vocabulary.py fails if the installed trigger drifts from them.

Wording follows DOMAIN.md and NHS England's situation reports: "staff due to work" (not "staff
due"), "acute" for elective + outpatient (NHS England's headline count), "total" for all four.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce


class Part(StrEnum):
    """Which part of a return a figure belongs to (DOMAIN.md, "Daily returns")."""

    WORKFORCE = "workforce"  # only from trusts the action affects
    RESCHEDULED = "rescheduled"  # from every active trust
    PLANNED = "planned"  # optional denominators of "% of planned care maintained"
    DERIVED = "derived"  # a sum of other figures, never entered


class Unit(StrEnum):
    STAFF = "staff"
    PROCEDURES = "procedures"
    APPOINTMENTS = "appointments"
    APPOINTMENTS_AND_PROCEDURES = "appointments and procedures"


ACUTE = "acute_rescheduled"
TOTAL = "total_rescheduled"


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    short_label: str
    part: Part
    unit: Unit
    # A hint under the form field, where the label does not say it all.
    help_text: str = ""
    # The derived figures this one is summed into (acute_rescheduled, total_rescheduled).
    totals: tuple[str, ...] = ()
    # A planned figure: the rescheduled figure it is the denominator of.
    planned_for: str = ""

    @property
    def description(self) -> str:
        """The help text, or the label where the label says it all (model help_text, API documentation)."""
        return self.help_text or f"{self.label}."


FIGURES: tuple[Figure, ...] = (
    Figure("staff_absent", "Staff absent", "Staff absent", Part.WORKFORCE, Unit.STAFF,
           "Staff of this group taking part in the action that day."),
    Figure("staff_due", "Staff due to work", "Staff due", Part.WORKFORCE, Unit.STAFF,
           "Staff of this group who were due to be at work that day."),
    Figure("elective_rescheduled", "Elective procedures rescheduled", "Elective", Part.RESCHEDULED,
           Unit.PROCEDURES, "Inpatient and day-case elective procedures rescheduled.", totals=(ACUTE, TOTAL)),
    Figure("outpatient_rescheduled", "Outpatient appointments rescheduled", "Outpatient", Part.RESCHEDULED,
           Unit.APPOINTMENTS, totals=(ACUTE, TOTAL)),
    Figure("community_rescheduled", "Community appointments rescheduled", "Community", Part.RESCHEDULED,
           Unit.APPOINTMENTS, totals=(TOTAL,)),
    Figure("mental_health_rescheduled", "Mental health and learning disability appointments rescheduled",
           "Mental health", Part.RESCHEDULED, Unit.APPOINTMENTS, totals=(TOTAL,)),
    Figure("elective_planned", "Elective procedures planned", "Elective planned", Part.PLANNED, Unit.PROCEDURES,
           "Elective procedures that were planned for the day (for % of planned care maintained).",
           planned_for="elective_rescheduled"),
    Figure("outpatient_planned", "Outpatient appointments planned", "Outpatient planned", Part.PLANNED,
           Unit.APPOINTMENTS,
           "Outpatient appointments that were planned for the day (for % of planned care maintained).",
           planned_for="outpatient_rescheduled"),
    Figure(ACUTE, "Acute rescheduled (elective and outpatient)", "Acute", Part.DERIVED,
           Unit.APPOINTMENTS_AND_PROCEDURES,
           "Elective procedures and outpatient appointments rescheduled: NHS England's headline count."),
    Figure(TOTAL, "Total rescheduled", "Total", Part.DERIVED, Unit.APPOINTMENTS_AND_PROCEDURES,
           "All four rescheduled counts: elective, outpatient, community, and mental health and learning "
           "disability."),
)
FIGURE = {f.name: f for f in FIGURES}


def _names(part: Part) -> tuple[str, ...]:
    return tuple(f.name for f in FIGURES if f.part == part)


WORKFORCE_FIELDS = _names(Part.WORKFORCE)
RESCHEDULED_FIELDS = _names(Part.RESCHEDULED)
PLANNED_FIELDS = _names(Part.PLANNED)
# The figures a return carries (fields of DailyReturn), in the order every form and file lists them.
FIGURE_FIELDS = WORKFORCE_FIELDS + RESCHEDULED_FIELDS + PLANNED_FIELDS
# Each rescheduled count that has a planned denominator: {rescheduled: planned}.
PLANNED_FOR = {f.planned_for: f.name for f in FIGURES if f.planned_for}
# The stored figures each derived figure sums.
PARTS_OF = {total.name: tuple(f.name for f in FIGURES if total.name in f.totals) for total in FIGURES
            if total.part == Part.DERIVED}
# What the notice placeholders call appointments (outpatient, community, mental health) and
# procedures (elective) rescheduled (DOMAIN.md, "Patient notices and messages").
APPOINTMENT_FIELDS = tuple(n for n in RESCHEDULED_FIELDS if FIGURE[n].unit == Unit.APPOINTMENTS)
PROCEDURE_FIELDS = tuple(n for n in RESCHEDULED_FIELDS if FIGURE[n].unit == Unit.PROCEDURES)

# The metrics of the national_totals contract (DOMAIN.md), in its order.
RESCHEDULED_METRICS = (*RESCHEDULED_FIELDS, ACUTE, TOTAL)
DAY_METRICS = (*WORKFORCE_FIELDS, *RESCHEDULED_METRICS)

# Labels by name, for code that looks a label up (sentence case; .lower() inside a sentence).
FIGURE_LABELS = {f.name: f.label for f in FIGURES}
SHORT_LABELS = {f.name: f.short_label for f in FIGURES}


# --- the aggregates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnSum:
    """A sum over submitted returns of what each return adds: the figure `of` (a count of returns
    where None), counted only where the figure `given` is not null and only where the flag `flag`
    is true. Every such sum can be kept by adding differences (the rollup triggers)."""

    name: str
    of: str | None = None
    given: str | None = None
    flag: str | None = None


# Every sum over returns the reports read, in the rollup columns' order (ReturnRollup's fields).
RETURN_SUMS: tuple[ReturnSum, ...] = (
    *(ReturnSum(name, of=name) for name in WORKFORCE_FIELDS),
    # % absent is only honest over returns that give both figures.
    ReturnSum("absent_with_due", of="staff_absent", given="staff_due"),
    ReturnSum("workforce_returns", given="staff_due"),
    *(ReturnSum(name, of=name) for name in RESCHEDULED_FIELDS + PLANNED_FIELDS),
    # % of planned care maintained only where a planned denominator was given.
    *(ReturnSum(f"{planned}_rescheduled", of=rescheduled, given=planned)
      for rescheduled, planned in PLANNED_FOR.items()),
    ReturnSum("returns"),
    ReturnSum("nil_returns", flag="is_nil"),
    ReturnSum("late_returns", flag="is_late"),
)
RETURN_SUM = {s.name: s for s in RETURN_SUMS}
ROLLUP_FIELDS = tuple(RETURN_SUM)

# Sums of sums: the derived figures, and planned care (what was planned, and what of it was rescheduled).
DERIVED: dict[str, tuple[str, ...]] = {
    **PARTS_OF,
    "planned": PLANNED_FIELDS,
    "planned_rescheduled": tuple(f"{planned}_rescheduled" for planned in PLANNED_FOR.values()),
}

Source = Literal["returns", "rollups"]


def _over_returns(s: ReturnSum) -> Any:
    condition = Q()
    if s.given:
        condition &= Q(**{f"{s.given}__isnull": False})
    if s.flag:
        condition &= Q(**{s.flag: True})
    condition_or_none = condition if condition else None
    if s.of is None:
        return Count("pk", filter=condition_or_none)
    return Coalesce(Sum(s.of, filter=condition_or_none), 0)


def aggregate(name: str, *, over: Source) -> Any:
    """The expression of one sum (a RETURN_SUMS name or a DERIVED one), over submitted returns
    (DailyReturn rows: the caller filters them) or over ReturnRollup rows (which hold RETURN_SUMS)."""
    if name in DERIVED:
        return functools.reduce(operator.add, (aggregate(part, over=over) for part in DERIVED[name]))
    if over == "rollups":
        return Coalesce(Sum(name), 0)
    return _over_returns(RETURN_SUM[name])


def aggregates(names: Iterable[str], *, over: Source, prefix: str = "") -> dict[str, Any]:
    """{prefix + name: expression} for .annotate() or .aggregate(). A prefix keeps an annotation
    from shadowing the field it sums."""
    return {prefix + name: aggregate(name, over=over) for name in names}


def trigger_contributions(row: str) -> list[str]:
    """What one return adds to each rollup column (RETURN_SUMS order), as SQL; `row` is a table
    alias or NEW/OLD. Migration 0009's triggers add these (its own frozen copy of this SQL)."""

    def contribution(s: ReturnSum) -> str:
        value = "1" if s.of is None else f"COALESCE({row}.{s.of}, 0)"
        if s.given:
            return f"CASE WHEN {row}.{s.given} IS NOT NULL THEN {value} ELSE 0 END"
        if s.flag:
            return f"CASE WHEN {row}.{s.flag} THEN {value} ELSE 0 END"
        return value

    return [contribution(s) for s in RETURN_SUMS]
