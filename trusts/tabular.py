"""Reading uploaded tables (CSV and XLSX) strictly, with line numbers for every problem.

Every importer in strikeops goes through here so that bad input is reported the same way:
each error names its line (as a spreadsheet shows it, the header being line 1) and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class TableError(Exception):
    """The file as a whole, or some of its rows, cannot be accepted. Nothing was saved."""

    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")


def _normalise_header(name: str) -> str:
    return " ".join(name.strip().lower().split())


def _check_header(header: list[str], required: list[str], optional: list[str]) -> list[RowError]:
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, f"the column '{name}' appears more than once"))
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        errors.append(RowError(1, "missing column" + ("s" if len(missing) > 1 else "") + ": " + ", ".join(missing)))
    return errors


def _utf8_lines(stream: BinaryIO | io.BufferedIOBase) -> Iterator[str]:
    """The file's lines, decoded one at a time so that a bad byte is reported on its own line
    (a decoder reading ahead in blocks would blame an earlier line). Line endings are kept, for
    the csv module; a UTF-8 BOM is dropped; old Mac files (CR alone) are split on CR."""
    number = 0
    for raw in stream:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = raw[:exc.start]
            line = number + 1 + before.count(b"\r") - before.count(b"\r\n")
            message = ("the file is not UTF-8 text; save it as 'CSV UTF-8'" if line == 1
                       else "this line is not valid UTF-8 text; save the file as 'CSV UTF-8'")
            raise TableError([RowError(line, message)]) from None
        if number == 0:
            text = text.removeprefix("\ufeff")
        for part in _CR_ALONE.split(text):
            if part:
                number += 1
                yield part


_CR_ALONE = re.compile(r"(?<=\r)(?!\n)")


def iter_csv(stream: BinaryIO | io.BufferedIOBase, *, required: list[str],
             optional: Sequence[str] = ()) -> Iterator[Row]:
    """Yield rows of a UTF-8 CSV (a BOM is allowed; CRLF or LF). Raises TableError on a bad header
    or bad encoding. Rows are yielded one at a time so that large files are never held whole."""
    reader = csv.reader(_utf8_lines(stream))
    try:
        raw_header = next(reader)
    except StopIteration:
        raise TableError([RowError(1, "the file is empty: it needs a header row")]) from None
    except csv.Error as exc:
        raise TableError([RowError(1, f"the header row cannot be read: {exc}")]) from None
    header = [_normalise_header(h) for h in raw_header]
    errors = _check_header(header, list(required), list(optional))
    if errors:
        raise TableError(errors)
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if line > MAX_ROWS + 1:
                raise TableError([RowError(line, f"the file has more than {MAX_ROWS:,} rows")])
            # Extra cells that are blank are tolerated (spreadsheets add them); others are not.
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                yield Row(line, {"__error__": f"has {len(cells)} cells but the header has {len(header)}"})
                continue
            values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
            yield Row(line, values)
    except csv.Error as exc:
        raise TableError([RowError(reader.line_num, f"the CSV cannot be read: {exc}")]) from None


def iter_xlsx(stream: BinaryIO, *, required: list[str], optional: Sequence[str] = ()) -> Iterator[Row]:
    """Yield rows of the first sheet of an XLSX workbook. Formulas are refused, never evaluated."""
    import zipfile

    from openpyxl import load_workbook

    try:
        # Refuse zip bombs before openpyxl inflates anything.
        with zipfile.ZipFile(stream) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
        if inflated > 10 * MAX_UPLOAD_BYTES:
            raise TableError([RowError(1, "the workbook expands to more than 200 MB; it is refused")])
        stream.seek(0)
        workbook = load_workbook(stream, read_only=True, data_only=False)
    except TableError:
        raise
    except Exception:  # openpyxl raises many types for a file that is not a workbook
        raise TableError([RowError(1, "the file is not a readable Excel (.xlsx) workbook")]) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=False)
    try:
        header_cells = next(rows)
    except StopIteration:
        raise TableError([RowError(1, "the workbook's first sheet is empty: it needs a header row")]) from None
    header = [_normalise_header(str(c.value) if c.value is not None else "") for c in header_cells]
    errors = _check_header(header, list(required), list(optional))
    if errors:
        raise TableError(errors)
    for index, cells in enumerate(rows, start=2):
        values: dict[str, str] = {}
        problem = ""
        for i, cell in enumerate(cells):
            if i >= len(header):
                break
            value = cell.value
            if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
                problem = f"column {header[i]} holds a formula; type the value instead"
                break
            if value is None:
                text_value = ""
            elif isinstance(value, float) and value.is_integer():
                text_value = str(int(value))
            elif isinstance(value, dt.datetime):
                text_value = value.date().isoformat() if (value.hour, value.minute) == (0, 0) else value.isoformat()
            else:
                text_value = str(value).strip()
            values[header[i]] = text_value
        if problem:
            yield Row(index, {"__error__": problem})
            continue
        if not any(values.values()):
            continue
        if index > MAX_ROWS + 1:
            raise TableError([RowError(index, f"the workbook has more than {MAX_ROWS:,} rows")])
        yield Row(index, {name: values.get(name, "") for name in header})
    workbook.close()


def iter_table(stream: BinaryIO, filename: str, *, required: list[str], optional: Sequence[str] = ()) -> Iterator[Row]:
    """CSV or XLSX by file name."""
    if Path(filename).suffix.lower() == ".xlsx":
        return iter_xlsx(stream, required=required, optional=optional)
    if Path(filename).suffix.lower() in {".csv", ".txt", ""}:
        return iter_csv(stream, required=required, optional=optional)
    raise TableError([RowError(1, "the file must be a CSV (.csv) or Excel workbook (.xlsx)")])


# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection"); every
# export defuses them, whatever the source of the text (trust names, provider error messages, ...).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell's text, with a leading quote when a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
