"""`python manage.py national_totals [--action SLUG ...] [--format json|csv|table]`: the national
figures in DOMAIN.md's contract (JSON shape), as CSV (one row per strike day, then a totals row per
action and a cumulative row) or as a table to read in a terminal."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trusts.models import IndustrialAction
from trusts.selectors.reports import DAY_METRICS, RESCHEDULED_METRICS, national_totals

CSV_COLUMNS = ("action", "date", *DAY_METRICS, "returns_expected", "returns_received",
               "peak_staff_absent", "peak_staff_absent_date")


class Command(BaseCommand):
    help = "Print the national figures of every recorded action (or of the named ones)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
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
                writer.writerow([entry["slug"], *(day[c] for c in CSV_COLUMNS[1:-2]), "", ""])
            totals = entry["totals"]
            writer.writerow([
                entry["slug"], "total", "", "", *(totals[m] for m in RESCHEDULED_METRICS),
                sum(d["returns_expected"] for d in entry["days"]), sum(d["returns_received"] for d in entry["days"]),
                totals["peak_staff_absent"], totals["peak_staff_absent_date"] or "",
            ])
        writer.writerow(["cumulative", "", "", "", *(figures["cumulative"][m] for m in RESCHEDULED_METRICS),
                         "", "", "", ""])

    def write_table(self, figures: dict[str, Any]) -> None:
        short = ("date", "absent", "due", "elective", "outpatient", "community", "mental h.", "acute", "total",
                 "received")
        widths = (10, 9, 9, 10, 10, 10, 10, 10, 10, 10)

        def line(cells: list[object]) -> str:
            return "  ".join(f"{c!s:>{w}}" if i else f"{c!s:<{w}}" for i, (c, w) in enumerate(zip(cells, widths,
                                                                                                     strict=True)))

        for entry in figures["actions"]:
            self.stdout.write(f"{entry['name']} ({entry['slug']})")
            self.stdout.write(entry["headline"])
            self.stdout.write(line(list(short)))
            for day in entry["days"]:
                self.stdout.write(line([day["date"], *(f"{day[m]:,}" for m in DAY_METRICS),
                                        f"{day['returns_received']}/{day['returns_expected']}"]))
            totals = entry["totals"]
            self.stdout.write(line(["total", "", "", *(f"{totals[m]:,}" for m in RESCHEDULED_METRICS), ""]))
            peak_date = totals["peak_staff_absent_date"] or "no staff absent"
            self.stdout.write(f"Peak staff absent: {totals['peak_staff_absent']:,} ({peak_date})")
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
