"""`python manage.py national_totals [--action SLUG ...] [--format json|csv|table]`: the national
figures in DOMAIN.md's contract (JSON shape), as CSV (one row per strike day, then a totals row per
action and a cumulative row) or as a table to read in a terminal. A figure nobody reported is
null in JSON, an empty cell in CSV and "not submitted" in the table, never 0."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.selectors.reports import average_sentence, national_totals
from trusts.figures import DAY_METRICS, RESCHEDULED_METRICS
from trusts.models import IndustrialAction
from trusts.selectors.completeness import NOT_SUBMITTED_TEXT

CSV_COLUMNS = ("action", "date", *DAY_METRICS, "returns_expected", "returns_received", "returns_on_time",
               "peak_staff_absent", "peak_staff_absent_date", "average_staff_absent",
               "planned_care_maintained_percent", "coverage_percent")
TOTAL_ONLY = 5  # the last five columns: on an action's total row only


def _cell(value: object) -> str:
    """A figure for the terminal: thousands separators; never 0 for a figure nobody reported."""
    if value is None:
        return NOT_SUBMITTED_TEXT.lower()
    return f"{value:,}" if isinstance(value, int) else str(value)


class Command(BaseCommand):
    help = "Print the national figures of every recorded action (or of the named ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--action", action="append", dest="actions", metavar="SLUG",
                            help="An action's slug; repeat for several. Default: every recorded action.")
        parser.add_argument("--format", choices=["json", "csv", "table"], default="table")

    def handle(self, *args: object, **options: Any) -> None:
        try:
            figures = national_totals(options["actions"])
        except IndustrialAction.DoesNotExist as error:
            raise CommandError(str(error), returncode=2) from error
        output = options["format"]
        if output == "json":
            self.stdout.write(json.dumps(figures, indent=2, ensure_ascii=False))
        elif output == "csv":
            self.write_csv(figures)
        else:
            self.write_table(figures)

    def write_csv(self, figures: dict[str, Any]) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for entry in figures["actions"]:
            for day in entry["days"]:
                # None (nobody reported) is written as an empty cell by the csv module.
                writer.writerow([entry["slug"], *(day[c] for c in CSV_COLUMNS[1:-TOTAL_ONLY]), *[""] * TOTAL_ONLY])
            totals, coverage = entry["totals"], entry["coverage"]
            writer.writerow([
                entry["slug"], "total", "", "", *(totals[m] for m in RESCHEDULED_METRICS),
                coverage["returns_expected"], coverage["returns_received"],
                sum(d["returns_on_time"] for d in entry["days"]),
                totals["peak_staff_absent"], totals["peak_staff_absent_date"] or "",
                totals["average_staff_absent"], totals["planned_care_maintained_percent"], coverage["percent"],
            ])
        writer.writerow(["cumulative", "", "", "", *(figures["cumulative"][m] for m in RESCHEDULED_METRICS),
                         *[""] * (3 + TOTAL_ONLY)])

    def write_table(self, figures: dict[str, Any]) -> None:
        short = ("date", "absent", "due", "elective", "outpatient", "community", "mental h.", "acute", "total",
                 "received", "on time")
        widths = (13, 13, 13, 13, 13, 13, 13, 13, 13, 10, 8)

        def line(cells: list[object]) -> str:
            return "  ".join(f"{c!s:>{w}}" if i else f"{c!s:<{w}}" for i, (c, w) in enumerate(zip(cells, widths,
                                                                                                     strict=True)))

        for entry in figures["actions"]:
            self.stdout.write(f"{entry['name']} ({entry['slug']})")
            self.stdout.write(entry["headline"])
            self.stdout.write(line(list(short)))
            for day in entry["days"]:
                self.stdout.write(line([day["date"], *(_cell(day[m]) for m in DAY_METRICS),
                                        f"{day['returns_received']}/{day['returns_expected']}",
                                        day["returns_on_time"]]))
            totals, coverage = entry["totals"], entry["coverage"]
            self.stdout.write(line(["total", "", "", *(_cell(totals[m]) for m in RESCHEDULED_METRICS),
                                    f"{coverage['returns_received']}/{coverage['returns_expected']}", ""]))
            peak_date = totals["peak_staff_absent_date"] or "no staff absent"
            self.stdout.write(f"Peak staff absent: {_cell(totals['peak_staff_absent'])} ({peak_date})")
            if sentence := average_sentence(totals["average_staff_absent"], entry["previous_action"]):
                self.stdout.write(sentence)
            planned = totals["planned_care_maintained_percent"]
            stated = "no planned figures given" if planned is None else f"{planned}%"
            self.stdout.write(f"% of planned care maintained: {stated}")
            self.stdout.write(f"Coverage: {coverage['returns_received']:,} of {coverage['returns_expected']:,} "
                              f"returns ({coverage['percent']}%)")
            season = entry["season"]
            exceeds = "yes" if season["exceeds_all_earlier_combined"] else "no"
            self.stdout.write(
                f"Season {season['name']}: earlier actions rescheduled {season['earlier_actions_acute_rescheduled']:,}"
                f" acute; this action exceeds them combined: {exceeds}"
            )
            self.stdout.write("")
        cumulative = figures["cumulative"]
        self.stdout.write("Cumulative since the first recorded action: "
                          + ", ".join(f"{m} {cumulative[m]:,}" for m in RESCHEDULED_METRICS))
