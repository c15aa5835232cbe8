"""Downloads of an action's figures in a publication layout: the CSV (one rectangular row per trust:
ODS code, name, ICB, region, status, each strike day's status and figures, action totals), the
coverage CSV beside it, and the publication-ready workbook (metadata, England, regions, ICBs, trusts).
Missing is never zero (trusts.selectors.completeness): an empty cell, and the status says why.

Safe against CSV/formula injection (OWASP): any text cell starting with = + - @ tab or carriage
return gets a leading apostrophe, and XLSX cells are written as strings, never as formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from reports.selectors.reports import AreaFigures
from trusts.dates import formatted
from trusts.figures import DAY_METRICS, FIGURE_LABELS, RESCHEDULED_METRICS
from trusts.models import IndustrialAction
from trusts.selectors.completeness import Coverage, reported
from trusts.tabular import csv_safe

Cell = str | int | float | None


def safe_text(value: str) -> str:
    """Neutralise a text cell a spreadsheet would otherwise run as a formula."""
    return csv_safe(value)


@dataclass
class Publication:
    title: str
    header: list[str]
    rows: list[list[Cell]]


def publication(action: IndustrialAction, dates: Sequence[dt.date], trusts: Sequence[AreaFigures],
                scope: str) -> Publication:
    """The CSV as it is published (no queries here; the trust rows come from trust_figures): one
    rectangular table, a row per trust with its status over the action and each strike day's status
    and figures. A figure nobody reported is an empty cell (completeness.reported), never 0."""
    header = ["ODS code", "Trust", "ICB", "Region", "Status"]
    for date in dates:
        label = formatted(date, "column_date")
        header += [f"{label} status", *(f"{label} {FIGURE_LABELS[m].lower()}" for m in DAY_METRICS)]
    header += [f"Total {FIGURE_LABELS[m].lower()}" for m in RESCHEDULED_METRICS]
    header += ["Peak staff absent", "Peak day", "Days reported"]
    rows: list[list[Cell]] = []
    for trust in trusts:
        row: list[Cell] = [trust.code, trust.name, trust.icb_name, trust.region_name, _status(trust.status)]
        for date in dates:
            figures = trust.days[date]
            row += [_status(trust.status_on(date)), *figures.reported_metrics(DAY_METRICS).values()]
        row += list(trust.totals.reported_metrics(RESCHEDULED_METRICS).values())
        row += [reported(trust.peak.staff_absent, trust.totals.returns),
                trust.peak.date.isoformat() if trust.peak.date else None, trust.days_reported]
        rows.append(row)
    return Publication(f"{action.name}: figures by trust ({scope})", header, rows)


def _status(status: str | None) -> str | None:
    return str(status) if status else None


def _safe_row(row: Sequence[Cell]) -> list[Cell]:
    return [safe_text(c) if isinstance(c, str) else c for c in row]


def to_csv(table: Publication) -> bytes:
    """UTF-8 with a byte order mark so that Excel reads the names right. Rectangular: a header row
    and a row per trust, nothing else (coverage is in the JSON and the coverage CSV)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_safe_row(table.header))
    writer.writerows(_safe_row(r) for r in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


COVERAGE_HEADER = ["date", "returns_expected", "returns_received", "returns_on_time", "percent_received"]


def coverage_rows(days: Sequence[dict[str, Any]]) -> list[list[Cell]]:
    """One row per strike day from national_totals' days (release JSON's figures.national.days)."""
    return [[d["date"], d["returns_expected"], d["returns_received"], d.get("returns_on_time"),
             Coverage(d["returns_expected"], d["returns_received"]).percent] for d in days]


def coverage_csv(days: Sequence[dict[str, Any]]) -> bytes:
    """The coverage beside a rectangular CSV: a header row and one row per strike day."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COVERAGE_HEADER)
    writer.writerows(coverage_rows(days))
    return out.getvalue().encode("utf-8")


# --- the publication-ready workbook ---------------------------------------------------------

SOURCE = ("Daily industrial action situation reports submitted by NHS trusts in England to NHS England "
          "(strikeops).")
LICENCE = "Open Government Licence v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
STATUS_NOTES = [
    ("submitted", "The trust's returns are in; its figures are as reported."),
    ("nil return", "The trust confirmed that the action had no impact: its figures are 0."),
    ("not submitted", "The trust owed a return and sent none: its figures are empty, never 0."),
    ("late", "The trust's returns are in, at least one after the deadline."),
]


@dataclass
class WorkbookMeta:
    """What the metadata sheet says besides the figures: the release (or that it is not one)."""

    title: str
    scope: str
    release_number: int | None = None
    published_at: str = ""
    note: str = ""
    incomplete_reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


def _append(sheet: Worksheet, row: Sequence[Cell], *, bold: bool = False) -> None:
    sheet.append(_safe_row(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            # Text is text: never let openpyxl take a value for a formula.
            cell.data_type = TYPE_STRING
        if bold:
            cell.font = Font(bold=True)


def _total(rows: Sequence[Sequence[Cell]], column: int) -> int | None:
    """A total row's cell: the sum of the figures reported, empty when none was."""
    values = [value for r in rows if isinstance(value := r[column], int)]
    return sum(values) if values else None


def _sheet(workbook: Workbook, title: str, caption: str, header: list[str], rows: list[list[Cell]],
           total: list[Cell] | None) -> None:
    sheet = workbook.create_sheet(title)
    _append(sheet, [caption], bold=True)
    _append(sheet, header, bold=True)
    for row in rows:
        _append(sheet, row)
    if total is not None:
        _append(sheet, total, bold=True)
    sheet.freeze_panes = "C3"


def _area_totals(area: dict[str, Any]) -> list[Cell]:
    totals = area["totals"]
    return [*(totals[m] for m in RESCHEDULED_METRICS), totals["peak_staff_absent"], totals["peak_staff_absent_date"]]


def publication_workbook(figures: dict[str, Any], meta: WorkbookMeta) -> bytes:
    """A workbook ready to publish from a release's figures (or release_snapshot() of a manager's
    scope): Metadata, England, Regions, ICBs and Trusts sheets, figures as numbers, a total row on
    each level, a status column on each trust, empty cells where nobody reported."""
    national = figures["national"]
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    metadata = workbook.create_sheet("Metadata")
    coverage = national["coverage"]
    strike_days = ", ".join(formatted(dt.date.fromisoformat(d), "date") for d in national["strike_days"])
    for key, value in [
        ("Title", meta.title), ("Industrial action", national["name"]), ("Strike days", strike_days),
        ("Headline", national["headline"]), ("Scope of the area tables", meta.scope),
        ("Release number", meta.release_number if meta.release_number is not None else "Not a release (live figures)"),
        ("Release date", meta.published_at or "Not published"),
        ("Figures as at", figures.get("generated_at", "")),
        ("Coverage", f"{coverage['returns_received']:,} of {coverage['returns_expected']:,} expected returns "
                     f"({coverage['percent']}%)"),
        ("Note", meta.note or "None"),
        ("Published below the coverage threshold because", meta.incomplete_reason or "Not applicable"),
        ("Source", SOURCE), ("Licence", LICENCE),
    ]:
        _append(metadata, [key, value])
        metadata.cell(row=metadata.max_row, column=1).font = Font(bold=True)
    _append(metadata, [])
    _append(metadata, ["Coverage per strike day (England)"], bold=True)
    _append(metadata, ["Strike day", "Returns expected", "Returns received", "Returns on time", "% received"],
            bold=True)
    for coverage_row in coverage_rows(national["days"]):
        _append(metadata, coverage_row)
    _append(metadata, [])
    _append(metadata, ["Status"], bold=True)
    for note in STATUS_NOTES:
        _append(metadata, list(note))
    _append(metadata, [])
    _append(metadata, ["Revision notes"], bold=True)
    changes = meta.changes or {}
    if not changes.get("returns"):
        _append(metadata, ["No return was revised since the previous release." if changes else
                           "First release: no revisions."])
    else:
        _append(metadata, ["ODS code", "Trust", "Strike day", "Change", "Figures (old to new)", "Reason given"],
                bold=True)
        for change in changes["returns"]:
            moved = "; ".join(f"{name}: {_text(old)} to {_text(new)}" for name, (old, new) in change["changes"].items())
            reasons = "; ".join(r["reason"] for r in change["reasons"] if r.get("reason")) or "No reason given"
            _append(metadata, [change["ods_code"], change["trust"], change["date"], change["kind"], moved, reasons])
    metadata.column_dimensions["A"].width = 40
    metadata.column_dimensions["B"].width = 60

    day_header = ["Strike day", *(FIGURE_LABELS[m] for m in DAY_METRICS), "Returns expected", "Returns received",
                  "Returns on time"]
    day_rows = [[d["date"], *(d[m] for m in DAY_METRICS), d["returns_expected"], d["returns_received"],
                 d.get("returns_on_time")] for d in national["days"]]
    totals = national["totals"]
    england_total: list[Cell] = ["Total", None, None, *(totals[m] for m in RESCHEDULED_METRICS),
                                 coverage["returns_expected"], coverage["returns_received"],
                                 _total(day_rows, len(day_header) - 1)]
    _sheet(workbook, "England", f"{national['name']}: England, per strike day (staff absent is not summed across "
                                f"days: the peak is {_text(totals['peak_staff_absent'])}, the average "
                                f"{_text(totals.get('average_staff_absent'))} a day)",
           day_header, day_rows, england_total)

    area_header = [*(f"Total {FIGURE_LABELS[m].lower()}" for m in RESCHEDULED_METRICS), "Peak staff absent",
                   "Peak day"]
    regions = [[a["code"], a["name"], *_area_totals(a)] for a in figures.get("regions", [])]
    _sheet(workbook, "Regions", f"{national['name']}: NHS England regions ({meta.scope})",
           ["Region code", "Region", *area_header], regions,
           ["Total", "", *(_total(regions, i) for i in range(2, 2 + len(RESCHEDULED_METRICS))), None, None])
    icbs = [[a["code"], a["name"], a.get("region_name", ""), *_area_totals(a)] for a in figures.get("icbs", [])]
    _sheet(workbook, "ICBs", f"{national['name']}: integrated care boards ({meta.scope})",
           ["ICB code", "ICB", "Region", *area_header], icbs,
           ["Total", "", "", *(_total(icbs, i) for i in range(3, 3 + len(RESCHEDULED_METRICS))), None, None])

    trusts = figures.get("trusts", [])
    dates = [d["date"] for d in national["days"]]
    trust_header = ["ODS code", "Trust", "Trust type", "ICB", "Region", "Status"]
    for date in dates:
        label = formatted(dt.date.fromisoformat(date), "column_date")
        trust_header += [f"{label} status", *(f"{label} {FIGURE_LABELS[m].lower()}" for m in DAY_METRICS)]
    trust_header += [*area_header, "Days reported"]
    trust_rows: list[list[Cell]] = []
    for area in trusts:
        row: list[Cell] = [area["code"], area["name"], area.get("trust_type", ""), area.get("icb_name", ""),
                           area.get("region_name", ""), area.get("status")]
        by_date = {d["date"]: d for d in area["days"]}
        for date in dates:
            day = by_date.get(date, {})
            row += [day.get("status"), *(reported(day.get(m), day.get("returns", 0)) for m in DAY_METRICS)]
        row += [*_area_totals(area), area["totals"]["days_reported"]]
        trust_rows.append(row)
    figure_columns = [i for i, name in enumerate(trust_header) if i >= 6 and not name.endswith(("status", "Peak day"))]
    trust_total: list[Cell] = ["Total", "", "", "", "", ""] + [None] * (len(trust_header) - 6)
    for index in figure_columns:
        trust_total[index] = _total(trust_rows, index)
    _sheet(workbook, "Trusts", f"{national['name']}: figures by trust ({meta.scope})", trust_header, trust_rows,
           trust_total)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text(value: object) -> str:
    return "empty" if value is None else f"{value:,}" if isinstance(value, int | float) else str(value)
