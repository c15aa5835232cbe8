"""Downloads of an action's figures in a publication layout: one row per trust (ODS code, name,
ICB, region, each strike day's figures, action totals), and notes listing missing and nil returns.

Safe against CSV/formula injection (OWASP): any text cell starting with = + - @ tab or carriage
return gets a leading apostrophe, and XLSX cells are written as strings, never as formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from trusts.models import IndustrialAction
from trusts.selectors.reports import DAY_METRICS, METRIC_LABELS, RESCHEDULED_METRICS, AreaFigures
from trusts.tabular import csv_safe

Cell = str | int | None


def safe_text(value: str) -> str:
    """Neutralise a text cell a spreadsheet would otherwise run as a formula."""
    return csv_safe(value)


@dataclass
class Publication:
    title: str
    header: list[str]
    rows: list[list[Cell]]
    missing: list[list[Cell]]
    nil: list[list[Cell]]


NOTE_HEADER = ["ODS code", "Trust", "Strike day"]


def publication(action: IndustrialAction, dates: Sequence[dt.date], trusts: Sequence[AreaFigures],
                scope: str) -> Publication:
    """The table as it is published: no queries here (the trust rows come from trust_figures)."""
    header = ["ODS code", "Trust", "ICB", "Region"]
    for date in dates:
        header += [f"{date:%d %b %Y} {METRIC_LABELS[m].lower()}" for m in DAY_METRICS]
    header += [f"Total {METRIC_LABELS[m].lower()}" for m in RESCHEDULED_METRICS]
    header += ["Peak staff absent", "Peak day", "Days reported"]
    rows: list[list[Cell]] = []
    missing: list[list[Cell]] = []
    nil: list[list[Cell]] = []
    for trust in trusts:
        row: list[Cell] = [trust.code, trust.name, trust.icb_name, trust.region_name]
        for date in dates:
            figures = trust.days[date]
            row += [getattr(figures, m) if figures.returns else None for m in DAY_METRICS]
        row += [getattr(trust.totals, m) for m in RESCHEDULED_METRICS]
        row += [trust.peak.staff_absent, trust.peak.date.isoformat() if trust.peak.date else None,
                trust.days_reported]
        rows.append(row)
        missing += [[trust.code, trust.name, d.isoformat()] for d in trust.missing_dates]
        nil += [[trust.code, trust.name, d.isoformat()] for d in trust.nil_dates]
    return Publication(f"{action.name}: figures by trust ({scope})", header, rows, missing, nil)


def _safe_row(row: Sequence[Cell]) -> list[Cell]:
    return [safe_text(c) if isinstance(c, str) else c for c in row]


def to_csv(table: Publication) -> bytes:
    """UTF-8 with a byte order mark so that Excel reads the names right; notes follow the table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_safe_row(table.header))
    writer.writerows(_safe_row(r) for r in table.rows)
    writer.writerow([])
    writer.writerow(["Notes"])
    writer.writerow(["Missing returns: the trust owed a return for the strike day and sent none. "
                     "Its figures for that day are empty, not zero."])
    writer.writerow(NOTE_HEADER)
    writer.writerows(_safe_row(r) for r in table.missing)
    writer.writerow([])
    writer.writerow(["Nil returns: the trust confirmed that the action had no impact (zeros)."])
    writer.writerow(NOTE_HEADER)
    writer.writerows(_safe_row(r) for r in table.nil)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _append(sheet, row: Sequence[Cell], *, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    sheet.append(_safe_row(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            # Text is text: never let openpyxl take a value for a formula.
            cell.data_type = TYPE_STRING
        if bold:
            cell.font = Font(bold=True)


def to_xlsx(table: Publication) -> bytes:
    workbook = Workbook()
    figures = workbook.active
    figures.title = "Figures"
    _append(figures, [table.title], bold=True)
    _append(figures, table.header, bold=True)
    for row in table.rows:
        _append(figures, row)
    figures.freeze_panes = "C3"
    notes = workbook.create_sheet("Notes")
    _append(notes, ["Missing returns"], bold=True)
    _append(notes, ["The trust owed a return for the strike day and sent none. Its figures for that day "
                    "are empty, not zero."])
    _append(notes, NOTE_HEADER, bold=True)
    for row in table.missing:
        _append(notes, row)
    _append(notes, [])
    _append(notes, ["Nil returns"], bold=True)
    _append(notes, ["The trust confirmed that the action had no impact (zeros)."])
    _append(notes, NOTE_HEADER, bold=True)
    for row in table.nil:
        _append(notes, row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
