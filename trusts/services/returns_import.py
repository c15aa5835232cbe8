"""Importing daily returns in bulk (the `import_returns` layout), from the command or the web upload.

All-or-nothing, with memory flat in the length of the file: the file is read once and its rows are
held by the database, not by Python. In one transaction:

1. **Stream**: each row is checked against reference data loaded up front (actions, affected
   trusts, trusts, strike days, reopenings: a handful of queries, however long the file), every
   error kept with its line and column. Each row that names a known action, trust and date (valid
   or not) goes into a TEMPORARY table, `returns_import_rows`, 5,000 rows at a time (COPY on
   PostgreSQL); only the batch being written is held in Python.
2. **Checks in SQL** over that table: rows that repeat an earlier line's (action, trust, date) (the
   error names both lines); the stored return each valid row meets (its id and version, and whether
   the row is new, the first submission of a draft, a change or identical); for a trust's upload
   without a reason, changes to submitted returns whose deadline has passed.
3. **Warnings** (3 x the trust's median on earlier strike days, more than 90% of staff absent): the
   valid rows that change a return are read back in (trust, date) order, 5,000 at a time, and
   checked against the medians of those rows' trusts and dates only, over one UNION ALL of the
   stored returns and the file's own rows (a file's earlier days count, and a row that revises a
   stored return replaces it). A row identical to its stored return, and a figure the stored return
   holds with a comment justifying it, raise no warning. Each batch's warnings, sorted by line, go to
   a temporary file as one run (with strict=True they are errors instead, worded for the command or
   for the web upload).
4. **Any error**: the transaction rolls back (the temporary table with it) and TableError lists
   every error in line order, as before. Otherwise: the stored returns the file touches are locked
   and their versions compared with step 2's (a change saved meanwhile refuses the file), then
   `INSERT ... SELECT` one ReturnRevision per changed return, one `UPDATE ... FROM` for changes and
   first submissions, one `INSERT ... SELECT` for new returns (the rollup triggers fire on each
   statement), one audit event per trust, and the table is dropped. A row identical to its stored
   return changes nothing.
5. **After the commit** the warning runs are merged in line order and handed to `on_warning` one at
   a time (the command prints them as they come), or collected in `ImportResult.warnings`.

Python keeps the errors (they are the report), one batch of rows and one buffer per warning run; a
clean file of any length costs the same memory.

Authority: "national" (the command; NHS England) may load any trust's returns, including past,
locked actions; "trust" (the web upload) is limited to the uploader's trusts and to returns that
can be edited now (strike day begun, not hard-closed unless reopened).
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet
from django.utils import timezone

from trusts import clock
from trusts.dates import formatted
from trusts.figures import FIGURE_FIELDS, PLANNED_FIELDS, RESCHEDULED_FIELDS, WORKFORCE_FIELDS
from trusts.models import (
    DailyReturn,
    IndustrialAction,
    ReturnReopening,
    ReturnRevision,
    ReturnSource,
    ReturnStatus,
    StrikeDay,
    Trust,
    User,
)
from trusts.services.audit import audit_record
from trusts.services.returns import (
    MEDIAN_FIELDS,
    check_figures,
    figure_warnings,
    is_nil_return,
    medians_from_history,
)
from trusts.strike_calendar import end_of_day
from trusts.tabular import Row, RowError, TableError

IMPORT_COLUMNS = ["action", "ods_code", "date", *WORKFORCE_FIELDS, *RESCHEDULED_FIELDS]
# Planned denominators are not part of the command contract; a file may add them.
OPTIONAL_COLUMNS = list(PLANNED_FIELDS)
TEMPLATE_COLUMNS = IMPORT_COLUMNS + OPTIONAL_COLUMNS
# What an import compares and writes (it never touches the warning comment: a file has none).
COMPARED_FIELDS = (*FIGURE_FIELDS, "is_nil")
# Rows written to (and read back from) the temporary tables at a time: what Python holds at most.
BATCH_SIZE = 5000

Authority = Literal["national", "trust"]

# The temporary table (per database session; dropped at the end, or by the rollback).
ROWS_TABLE = "returns_import_rows"
STAGED_COLUMNS = ("line", "action_id", "trust_id", "date", "strike_day_id", "ok", "is_late", "is_nil", "locked",
                  *FIGURE_FIELDS)
# The staged row's position of `ok` (counted by _stage).
OK_INDEX = STAGED_COLUMNS.index("ok")
# What step 2 finds for a valid row (returns_import_rows.kind).
NEW, FIRST_SUBMISSION, CHANGED, UNCHANGED = 0, 1, 2, 3
# Where an error sits among its line's errors: the order in which one row's checks have always run
# (action, trust and date; the repeat; the figures; warnings refused by strict; the missing reason).
KEY, REPEAT, FIGURES, STRICT, REASON = range(5)

# One staged row, in STAGED_COLUMNS order.
StagedRow = tuple[Any, ...]
# What _check_row returns for a row with every figure empty.
SKIPPED: StagedRow = ()


@dataclass
class ImportResult:
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    # Rows with every figure empty: a template's strike day not filled in (not a return, not an error).
    skipped: int = 0
    warning_count: int = 0
    # Filled only when the caller passes no on_warning (small imports, tests).
    warnings: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.revised + self.unchanged


@dataclass(frozen=True)
class _Day:
    pk: int
    starts_at: dt.datetime
    deadline: dt.datetime


class _Errors:
    """Every error of the file (the report), each with where it sorts among its line's errors."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, RowError]] = []

    def add(self, phase: int, error: RowError) -> None:
        self.items.append((error.line, phase, error))

    def __len__(self) -> int:
        return len(self.items)

    def in_line_order(self) -> list[RowError]:
        # Stable: errors of one line and phase stay in the order they were found.
        return [error for _line, _phase, error in sorted(self.items, key=lambda item: item[:2])]


def _parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD (the template's form), or DD/MM/YYYY as a UK spreadsheet may rewrite it."""
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 and text[4] == "-" else \
            dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


class _Reference:
    """Everything a row is checked against, loaded in a few queries before the first row."""

    def __init__(self, *, allowed: QuerySet[Trust] | None, authority: Authority, now: dt.datetime) -> None:
        self.actions = {a.slug: a for a in IndustrialAction.objects.only("pk", "slug", "name", "hard_close")}
        self.locks_at = {a.pk: end_of_day(a.hard_close) if a.hard_close else None for a in self.actions.values()}
        self.affected: dict[int, set[int]] = defaultdict(set)
        through = IndustrialAction.affected_trusts.through
        for action_id, trust_id in through.objects.values_list("industrialaction_id", "trust_id"):
            self.affected[action_id].add(trust_id)
        self.trusts = dict(Trust.objects.values_list("ods_code", "pk"))
        self.trust_codes = {pk: code for code, pk in self.trusts.items()}
        self.allowed = set(allowed.values_list("pk", flat=True)) if allowed is not None else None
        self.days = {
            (action_id, date): _Day(pk, starts_at, deadline)
            for pk, action_id, date, starts_at, deadline
            in StrikeDay.objects.values_list("pk", "action_id", "date", "starts_at", "deadline")
        }
        self.reopened: set[tuple[int, int]] = set()
        if authority == "trust":
            self.reopened = set(ReturnReopening.objects
                                .filter(closes_at__gt=now, closed_early_at__isnull=True)
                                .values_list("action_id", "trust_id"))

    def is_affected(self, action_id: int, trust_id: int) -> bool:
        affected = self.affected.get(action_id)
        return not affected or trust_id in affected


def _check_row(
    row: Row, ref: _Reference, *, authority: Authority, now: dt.datetime, errors: _Errors,
) -> StagedRow | None:
    """Check one row (all but the repeat, which the database finds). Returns the row to stage
    (ok=False if it has an error), or None if it names no known action, trust and date."""
    if "__error__" in row.values:
        errors.add(KEY, RowError(row.line, row.values["__error__"]))
        return None
    if not any(row[name].strip() for name in TEMPLATE_COLUMNS[3:]):
        return SKIPPED
    count = len(errors.items)
    slug = row["action"]
    action = ref.actions.get(slug)
    if not slug:
        errors.add(KEY, RowError(row.line, "is empty; enter the action's slug", "action"))
    elif action is None:
        errors.add(KEY, RowError(row.line, f"there is no industrial action with the slug '{slug}'", "action"))
    code = row["ods_code"].upper()
    trust_id = ref.trusts.get(code)
    if not code:
        errors.add(KEY, RowError(row.line, "is empty; enter the trust's ODS code", "ods_code"))
    elif trust_id is None:
        errors.add(KEY, RowError(row.line, f"there is no NHS trust with the ODS code '{code}'", "ods_code"))
    elif ref.allowed is not None and trust_id not in ref.allowed:
        errors.add(KEY, RowError(row.line, f"{code} is not one of your trusts: you can only upload your own "
                                           "trusts' returns", "ods_code"))
    day = _parse_date(row["date"])
    strike_day = None
    locked = False
    if not row["date"]:
        errors.add(KEY, RowError(row.line, "is empty; enter the strike day as YYYY-MM-DD, like 2023-04-12", "date"))
    elif day is None:
        errors.add(KEY, RowError(row.line, f"'{row['date']}' is not a date: write it as YYYY-MM-DD, like "
                                           "2023-04-12", "date"))
    elif action is not None:
        strike_day = ref.days.get((action.pk, day))
        if strike_day is None:
            errors.add(KEY, RowError(row.line, f"{formatted(day, 'date')} is not a strike day of {action.name}",
                                     "date"))
        elif now < strike_day.starts_at:
            errors.add(KEY, RowError(row.line, f"the strike day {formatted(day, 'date')} has not begun: its return "
                                               f"can be entered from {formatted(strike_day.starts_at, 'moment')}",
                                     "date"))
        elif authority == "trust" and trust_id is not None:
            # An error only for a row that would change the return (_locked_changes): the template of a
            # locked action, uploaded again as downloaded, changes nothing and is not refused.
            locks_at = ref.locks_at[action.pk]
            locked = locks_at is not None and now >= locks_at and (action.pk, trust_id) not in ref.reopened
    affected = ref.is_affected(action.pk, trust_id) if action is not None and trust_id is not None else True
    field_errors, values = check_figures(figures=row.values, affected=affected, complete=True)
    for name, message in field_errors.items():
        errors.add(FIGURES, RowError(row.line, message, name))
    if action is None or trust_id is None or day is None:
        return None
    ok = len(errors.items) == count and strike_day is not None
    # NHS England's own loads (history, corrections) say nothing about a trust's timeliness.
    late = strike_day is not None and authority == "trust" and now > strike_day.deadline
    return (row.line, action.pk, trust_id, day, strike_day.pk if strike_day is not None else None, ok, late,
            is_nil_return(values), locked, *(values[n] for n in FIGURE_FIELDS))


def returns_import(
    *,
    rows: Iterable[Row],
    source: str,
    user: User | None = None,
    trusts: QuerySet[Trust] | None = None,
    strict: bool = False,
    authority: Authority = "national",
    reason: str = "",
    now: dt.datetime | None = None,
    on_warning: Callable[[RowError], None] | None = None,
) -> ImportResult:
    """Submit every row as its trust's return (or revise the stored one). Raises TableError with
    every problem, and saves nothing, if any row is wrong (or, with strict=True, looks wrong).
    `trusts` limits the rows to those trusts (the uploader's); `reason` goes on each revision.
    Warnings go to `on_warning` in line order once the returns are saved (else to result.warnings)."""
    now = now or clock.now()
    reason = reason.strip()
    ref = _Reference(allowed=trusts, authority=authority, now=now)
    result = ImportResult()
    errors = _Errors()
    warnings = _WarningRuns()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _create_tables(cursor)
            valid = _stage(cursor, rows, ref=ref, authority=authority, now=now, errors=errors, result=result)
            valid -= _repeats(cursor, errors)
            if not valid and not errors:
                errors.add(KEY, RowError(2, "the file has a header but no returns"))
            stored = _classify(cursor)
            _locked_changes(cursor, ref=ref, errors=errors)
            _warnings(cursor, strict=strict, errors=errors, warnings=warnings, authority=authority)
            result.warning_count = warnings.count
            if authority == "trust" and not reason:
                _late_changes_without_reason(cursor, now=now, errors=errors)
            if errors:
                raise TableError(errors.in_line_order())
            _lock_and_compare(cursor, stored)
            _write(cursor, ref=ref, result=result, source=source, user=user, authority=authority, reason=reason,
                   now=now)
            # Dropped before the commit, so the table never outlives the transaction (a rollback drops it too).
            _drop_tables(cursor)
    except IntegrityError:
        warnings.close()
        raise TableError([RowError(1, "another change to these returns was saved at the same time; "
                                      "upload the file again")]) from None
    except BaseException:
        warnings.close()
        raise
    # Saved: now the warnings, in line order.
    with warnings:
        for warning in warnings:
            if on_warning is not None:
                on_warning(warning)
            else:
                result.warnings.append(warning)
    return result


# --- The temporary tables ------------------------------------------------------------------------

def _create_tables(cursor: CursorWrapper) -> None:
    _drop_tables(cursor)  # left by an import whose session went on after a failure to drop them
    figures = ", ".join(f"{name} integer" for name in FIGURE_FIELDS)
    # The key comes first in the primary key: repeats, the stored returns and the (trust, date)
    # order of the warnings pass all read it.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {ROWS_TABLE} (line integer NOT NULL, action_id bigint NOT NULL, "
        f"trust_id bigint NOT NULL, date date NOT NULL, strike_day_id bigint, ok boolean NOT NULL, "
        f"is_late boolean NOT NULL, is_nil boolean NOT NULL, locked boolean NOT NULL, {figures}, stored_id bigint, "
        "stored_version integer, "
        f"kind smallint NOT NULL DEFAULT {NEW}, PRIMARY KEY (trust_id, date, action_id, line))")


def _drop_tables(cursor: CursorWrapper) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {ROWS_TABLE}")


def _insert(cursor: CursorWrapper, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Write a batch to a temporary table with COPY: tens of thousands of rows a second where
    INSERT ... VALUES manages a few thousand."""
    if not rows:
        return
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- Steps 1 and 2: stream the file into the database, check what needs every row --------------

def _stage(cursor: CursorWrapper, rows: Iterable[Row], *, ref: _Reference, authority: Authority, now: dt.datetime,
           errors: _Errors, result: ImportResult) -> int:
    """Check each row and stage it; returns how many rows had no error of their own."""
    batch: list[StagedRow] = []
    valid = 0
    for row in rows:
        staged = _check_row(row, ref, authority=authority, now=now, errors=errors)
        if staged is SKIPPED:
            result.skipped += 1
            continue
        if staged is None:
            continue
        valid += staged[OK_INDEX]
        batch.append(staged)
        if len(batch) == BATCH_SIZE:
            _insert(cursor, ROWS_TABLE, STAGED_COLUMNS, batch)
            batch = []
    _insert(cursor, ROWS_TABLE, STAGED_COLUMNS, batch)
    # Autovacuum never analyses temporary tables; the joins below need to know its size.
    cursor.execute(f"ANALYZE {ROWS_TABLE}")
    return valid


def _repeats(cursor: CursorWrapper, errors: _Errors) -> int:
    """Rows whose (action, trust, date) an earlier line already gave: an error naming that line,
    and the row is no longer valid. Returns how many valid rows that took away."""
    repeats = (f"SELECT action_id, trust_id, date, line, ok, "  # noqa: S608  # nosec B608 # fixed names
               f"MIN(line) OVER (PARTITION BY action_id, trust_id, date) AS first_line FROM {ROWS_TABLE}")
    cursor.execute(f"SELECT line, first_line, ok FROM ({repeats}) AS firsts WHERE line > first_line")  # noqa: S608  # nosec B608 # fixed names
    taken = 0
    for line, first_line, was_ok in cursor.fetchall():
        errors.add(REPEAT, RowError(line, f"repeats the return on line {first_line} (same action, trust and date)"))
        taken += bool(was_ok)
    if taken:
        cursor.execute(
            f"UPDATE {ROWS_TABLE} SET ok = FALSE FROM ({repeats}) AS firsts "  # noqa: S608  # nosec B608 # fixed names
            f"WHERE firsts.line > firsts.first_line AND {ROWS_TABLE}.trust_id = firsts.trust_id "
            f"AND {ROWS_TABLE}.date = firsts.date AND {ROWS_TABLE}.action_id = firsts.action_id "
            f"AND {ROWS_TABLE}.line = firsts.line")
    return taken


def _distinct(left: str, right: str) -> str:
    """Null-safe "differs" (a stored figure may be empty)."""
    return f"{left} IS DISTINCT FROM {right}"


def _classify(cursor: CursorWrapper) -> int:
    """Note, for each valid row, the stored return it meets (id, version) and what the import will
    do with it. Returns how many stored returns the file touches."""
    changed = " OR ".join(_distinct(f"d.{_column(DailyReturn, n)}", f"{ROWS_TABLE}.{n}") for n in COMPARED_FIELDS)
    cursor.execute(
        f"UPDATE {ROWS_TABLE} SET stored_id = d.id, stored_version = d.version, "  # noqa: S608  # nosec B608 # fixed names
        f"kind = CASE WHEN d.status = %s THEN {FIRST_SUBMISSION} WHEN {changed} THEN {CHANGED} ELSE {UNCHANGED} END "
        f"FROM {_table(DailyReturn)} d WHERE {ROWS_TABLE}.ok AND d.action_id = {ROWS_TABLE}.action_id "
        f"AND d.trust_id = {ROWS_TABLE}.trust_id AND d.date = {ROWS_TABLE}.date", [ReturnStatus.DRAFT.value])
    updated: int = cursor.rowcount
    return updated


def _locked_changes(cursor: CursorWrapper, *, ref: _Reference, errors: _Errors) -> None:
    """Rows of a trust's upload for a hard-closed action (not reopened) that would change something:
    a row identical to its stored return is let through, as it writes nothing."""
    cursor.execute(f"SELECT line, action_id FROM {ROWS_TABLE} "  # noqa: S608  # nosec B608 # fixed names
                   f"WHERE locked AND NOT (ok AND kind = {UNCHANGED}) ORDER BY line")
    names = {a.pk: a for a in ref.actions.values()}
    for line, action_id in cursor.fetchall():
        action, locked_at = names[action_id], ref.locks_at[action_id]
        assert locked_at is not None, "a locked row's action has hard-closed"
        errors.add(KEY, RowError(line, f"returns for {action.name} are locked: the action hard-closed at "
                                       f"{formatted(locked_at, 'moment')}", "date"))


def _late_changes_without_reason(cursor: CursorWrapper, *, now: dt.datetime, errors: _Errors) -> None:
    cursor.execute(
        f"SELECT r.line FROM {ROWS_TABLE} r JOIN {_table(StrikeDay)} sd ON sd.id = r.strike_day_id "  # noqa: S608  # nosec B608 # fixed names
        f"WHERE r.ok AND r.kind = {CHANGED} AND sd.deadline < %s",
        [connection.ops.adapt_datetimefield_value(now)])
    for (line,) in cursor.fetchall():
        errors.add(REASON, RowError(line, "changes a return submitted for a strike day whose deadline has passed: "
                                          "give a reason for the changes"))


# --- Step 3: warnings -----------------------------------------------------------------------------

def _warnings(cursor: CursorWrapper, *, strict: bool, errors: _Errors, warnings: _WarningRuns,
              authority: Authority) -> None:
    """Read the rows that will change a return back in (trust, date) order, a batch at a time, so that
    each batch's medians come from one query over a few trusts' history and the file's own earlier
    rows. Warnings go to `warnings` (or, strict, to the errors).

    No warning for a row identical to its stored return (it changes nothing), nor for a figure the
    stored return already holds with a comment justifying its warnings (justified once is enough)."""
    figures = ", ".join(f"r.{n}" for n in FIGURE_FIELDS)
    stored = ", ".join(f"d.{_column(DailyReturn, n)}" for n in FIGURE_FIELDS)
    after: tuple[Any, ...] = (-1, dt.date.min, -1, -1)
    # The web upload cannot carry a comment: its refusal points to the day's form, not to a command flag.
    refused = (" (a warning, refused with --strict)" if authority == "national" else
               ": a file cannot say why, so enter this day's return on its own form and give a comment there")
    while True:
        cursor.execute(
            f"SELECT r.trust_id, r.date, r.action_id, r.line, {figures}, "  # noqa: S608  # nosec B608 # fixed names
            f"CASE WHEN d.status = %s AND d.warning_comment <> '' THEN 1 ELSE 0 END, {stored} "
            f"FROM {ROWS_TABLE} r LEFT JOIN {_table(DailyReturn)} d ON d.id = r.stored_id "
            f"WHERE r.ok AND r.kind <> {UNCHANGED} AND (r.trust_id, r.date, r.action_id, r.line) > (%s, %s, %s, %s) "
            "ORDER BY r.trust_id, r.date, r.action_id, r.line LIMIT %s",
            [ReturnStatus.SUBMITTED.value, *after, BATCH_SIZE])
        page = cursor.fetchall()
        if not page:
            break
        after = page[-1][:4]
        wanted: dict[int, set[dt.date]] = defaultdict(set)
        for trust_id, day, *_rest in page:
            wanted[trust_id].add(day)
        medians = _file_medians(cursor, wanted)
        found: list[RowError] = []
        count = len(FIGURE_FIELDS)
        for trust_id, day, _action_id, line, *rest in page:
            values = dict(zip(FIGURE_FIELDS, rest[:count], strict=True))
            justified = bool(rest[count])
            kept = dict(zip(FIGURE_FIELDS, rest[count + 1:], strict=True))
            for name, message in figure_warnings(values=values, medians=medians.get((trust_id, day), {})).items():
                if justified and kept[name] == values[name]:
                    continue
                if strict:
                    errors.add(STRICT, RowError(line, f"{message}{refused}", name))
                else:
                    found.append(RowError(line, message, name))
        warnings.add_run(found)
        if len(page) < BATCH_SIZE:
            break


def _file_medians(cursor: CursorWrapper,
                  wanted: dict[int, set[dt.date]]) -> dict[tuple[int, dt.date], dict[str, float]]:
    """earlier_medians with the file taken into account: a trust's history is its submitted returns
    on earlier strike days, where a row of this file replaces the stored return it revises, plus the
    file's new rows for earlier days. One query (a UNION ALL over the returns and the staged rows, in
    (trust, date) order), streamed through the same pass as earlier_medians."""
    dates_by_trust = {trust_id: sorted(days) for trust_id, days in wanted.items()}
    latest = connection.ops.adapt_datefield_value(max(days[-1] for days in dates_by_trust.values()))
    trust_ids = list(dates_by_trust)
    among = ", ".join(["%s"] * len(trust_ids))
    returns = _table(DailyReturn)
    stored = ", ".join(f"d.{_column(DailyReturn, n)}" for n in MEDIAN_FIELDS)
    staged = ", ".join(f"r.{n}" for n in MEDIAN_FIELDS)
    cursor.execute(
        f"SELECT * FROM (SELECT d.trust_id, d.date, {stored} FROM {returns} d "  # noqa: S608  # nosec B608 # fixed names
        f"WHERE d.trust_id IN ({among}) AND d.status = %s AND d.date < %s AND NOT EXISTS ("
        f"SELECT 1 FROM {ROWS_TABLE} x WHERE x.ok AND x.trust_id = d.trust_id AND x.date = d.date "
        f"AND x.action_id = d.action_id) "
        f"UNION ALL SELECT r.trust_id, r.date, {staged} FROM {ROWS_TABLE} r "
        f"WHERE r.ok AND r.trust_id IN ({among}) AND r.date < %s) AS history ORDER BY 1, 2",
        [*trust_ids, ReturnStatus.SUBMITTED.value, latest, *trust_ids, latest])
    return medians_from_history(dates_by_trust, _fetched(cursor))


def _fetched(cursor: CursorWrapper) -> Iterator[tuple[Any, ...]]:
    """The result rows a batch at a time (a long history never sits in memory at once). On SQLite a
    column of a UNION has no declared type, so its dates come back as text."""
    while rows := cursor.fetchmany(BATCH_SIZE):
        for trust_id, day, *figures in rows:
            yield (trust_id, dt.date.fromisoformat(day) if isinstance(day, str) else day, *figures)


class _WarningRuns:
    """The warnings, computed in (trust, date) order and handed back in line order, in flat memory.
    Each batch's warnings are sorted by line and appended to a temporary file as one run; reading
    merges the runs (heapq.merge), holding one small buffer per run (5,000 rows make one run).
    A local file rather than a table: warnings need no SQL, and this way they cross no connection."""

    CHUNK = 16 * 1024

    def __init__(self) -> None:
        self.file: IO[bytes] | None = None
        self.runs: list[tuple[int, int]] = []
        self.count = 0

    def add_run(self, warnings: list[RowError]) -> None:
        if not warnings:
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close(), after the merge)
        warnings.sort(key=lambda w: w.line)  # stable: a line's warnings keep their order
        start = self.file.seek(0, io.SEEK_END)
        # One line each. Tabs and newlines never occur in a column name or a warning (labels and numbers).
        self.file.write("".join(f"{w.line}\t{w.column}\t{w.message}\n" for w in warnings).encode())
        self.runs.append((start, self.file.tell()))
        self.count += len(warnings)

    def _run(self, start: int, end: int) -> Iterator[RowError]:
        assert self.file is not None
        descriptor, rest = self.file.fileno(), b""
        while start < end:
            chunk = os.pread(descriptor, min(self.CHUNK, end - start), start)
            start += len(chunk)
            *lines, rest = (rest + chunk).split(b"\n")
            for raw in lines:
                line, column, message = raw.decode().split("\t", 2)
                yield RowError(int(line), message, column)

    def __iter__(self) -> Iterator[RowError]:
        if self.file is None:
            return iter(())
        self.file.flush()
        return heapq.merge(*(self._run(start, end) for start, end in self.runs), key=lambda w: w.line)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def __enter__(self) -> _WarningRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- Step 4: the writes ---------------------------------------------------------------------------

def _lock_and_compare(cursor: CursorWrapper, stored: int) -> None:
    """Lock the stored returns the file touches and check that none changed (or went) since they
    were classified: the checks and warnings above were made against those versions."""
    if not stored:
        return
    cursor.execute(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN version = stored_version THEN 0 ELSE 1 END), 0) FROM ("  # noqa: S608  # nosec B608 # fixed names
        f"SELECT d.version, r.stored_version FROM {_table(DailyReturn)} d JOIN {ROWS_TABLE} r "
        f"ON d.id = r.stored_id FOR UPDATE OF d) AS locked")
    count, changed = cursor.fetchone()
    if count != stored or changed:
        raise TableError([RowError(1, "some of these returns changed while the file was being checked; "
                                      "upload it again to see the figures now stored")])


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], attname: str) -> str:
    column = next(f.column for f in model._meta.concrete_fields if f.attname == attname)
    assert column is not None, "a concrete field has a column"
    return connection.ops.quote_name(column)


def _changes_json() -> str:
    """SQL for a revision's `changes`: {field: [stored, new]} for each compared field that differs
    (the same dict the web form's revisions hold)."""
    pairs = ", ".join(f"'{n}', CASE WHEN {_distinct(f'd.{n}', f'r.{n}')} THEN jsonb_build_array(d.{n}, r.{n}) END"
                      for n in COMPARED_FIELDS)
    return f"jsonb_strip_nulls(jsonb_build_object({pairs}))"


def _write(
    cursor: CursorWrapper, *, ref: _Reference, result: ImportResult, source: str, user: User | None,
    authority: Authority, reason: str, now: dt.datetime,
) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    user_id = user.pk if user is not None and user.is_authenticated else None
    stamp = adapt(timezone.now())
    at = adapt(now)
    returns = _table(DailyReturn)
    revision_columns = ", ".join(_column(ReturnRevision, a) for a in (
        "daily_return_id", "version", "changed_by_id", "source", "reason", "changes", "created_at"))
    # Revisions first: they need the stored figures the update replaces.
    cursor.execute(
        f"INSERT INTO {_table(ReturnRevision)} ({revision_columns}) "  # noqa: S608  # nosec B608 # fixed names
        f"SELECT d.id, d.version + 1, %s, %s, %s, {_changes_json()}, %s FROM {ROWS_TABLE} r "
        f"JOIN {returns} d ON d.id = r.stored_id WHERE r.ok AND r.kind = {CHANGED} ORDER BY d.id",
        [user_id, source, reason, stamp])
    figures = ", ".join(f"{_column(DailyReturn, n)} = r.{n}" for n in FIGURE_FIELDS)
    first = f"r.kind = {FIRST_SUBMISSION}"
    cursor.execute(
        f"UPDATE {returns} SET {figures}, is_nil = r.is_nil, submitted_at = %s, submitted_by_id = %s, "  # noqa: S608  # nosec B608 # fixed names
        f"source = %s, updated_at = %s, version = {returns}.version + 1, "
        # A revision after sign-off needs a new sign-off (as return_submit does).
        "signed_off_at = NULL, signed_off_by_id = NULL, "
        f"status = CASE WHEN {first} THEN %s ELSE {returns}.status END, "
        f"first_submitted_at = CASE WHEN {first} THEN %s ELSE {returns}.first_submitted_at END, "
        f"is_late = CASE WHEN {first} THEN r.is_late ELSE {returns}.is_late END "
        f"FROM {ROWS_TABLE} r WHERE {returns}.id = r.stored_id AND r.ok AND r.kind IN ({FIRST_SUBMISSION}, {CHANGED})",
        [at, user_id, source, stamp, ReturnStatus.SUBMITTED.value, at])
    columns = ["action_id", "trust_id", "strike_day_id", "date", "status", "first_submitted_at", "submitted_at",
               "submitted_by_id", "source", "is_late", "is_nil", "warning_comment", "version", "created_at",
               "updated_at", *FIGURE_FIELDS]
    cursor.execute(
        f"INSERT INTO {returns} ({', '.join(_column(DailyReturn, c) for c in columns)}) "  # noqa: S608  # nosec B608 # fixed names
        f"SELECT action_id, trust_id, strike_day_id, date, %s, %s, %s, %s, %s, is_late, is_nil, '', 1, %s, %s, "
        f"{', '.join(FIGURE_FIELDS)} FROM {ROWS_TABLE} WHERE ok AND kind = {NEW} ORDER BY action_id, trust_id, date",
        [ReturnStatus.SUBMITTED.value, at, at, user_id, source, stamp, stamp])
    cursor.execute(f"SELECT trust_id, kind, COUNT(*) FROM {ROWS_TABLE} WHERE ok "  # noqa: S608  # nosec B608 # fixed names
                   "GROUP BY trust_id, kind ORDER BY trust_id")
    per_trust: dict[int, dict[str, int]] = defaultdict(lambda: {"created": 0, "revised": 0, "unchanged": 0})
    for trust_id, kind, count in cursor.fetchall():  # one row per (trust, kind): a few thousand at most
        per_trust[trust_id][{NEW: "created", FIRST_SUBMISSION: "created", CHANGED: "revised",
                             UNCHANGED: "unchanged"}[kind]] += count
    for trust_id, counts in per_trust.items():
        result.created += counts["created"]
        result.revised += counts["revised"]
        result.unchanged += counts["unchanged"]
        if counts["created"] or counts["revised"]:
            audit_record(
                event="returns.imported", actor=user, trust=Trust(pk=trust_id, ods_code=ref.trust_codes[trust_id]),
                summary=(f"{ref.trust_codes[trust_id]} returns imported ({ReturnSource(source).label}): "
                         f"{counts['created']} submitted, {counts['revised']} revised, "
                         f"{counts['unchanged']} unchanged"),
                details={**counts, "source": source, "authority": authority, "reason": reason},
            )


# --- The template a trust downloads, pre-filled with its strike days -----------------------------

def returns_template_rows(*, action: IndustrialAction, trusts: Iterable[Trust]) -> list[list[str]]:
    """Header plus one row per (trust, strike day) of the action, with any figures already stored
    (so that uploading it unchanged changes nothing). Workforce cells stay empty for unaffected trusts."""
    trusts = list(trusts)
    days = list(action.strike_days.order_by("date").values_list("date", flat=True))
    stored = {(r["trust_id"], r["date"]): r for r in DailyReturn.objects
              .filter(action=action, trust__in=trusts).values("trust_id", "date", *FIGURE_FIELDS)}
    rows = [list(TEMPLATE_COLUMNS)]
    for trust in trusts:
        for day in days:
            figures = stored.get((trust.pk, day), {})
            rows.append([action.slug, trust.ods_code, day.isoformat(),
                         *("" if figures.get(n) is None else str(figures[n]) for n in TEMPLATE_COLUMNS[3:])])
    return rows


def template_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def template_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Returns")
    for index, row in enumerate(rows):
        # Numbers as numbers (so a spreadsheet adds them up); the date as text, as the importer reads it.
        sheet.append(row if index == 0 else [*row[:3], *(int(v) if v else None for v in row[3:])])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
