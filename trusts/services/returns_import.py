"""Importing daily returns in bulk (the `import_returns` layout), from the command or the web upload.

All-or-nothing, in three steps:
1. read and check every row against data loaded up front (actions, trusts, strike days, the
   returns already stored: a handful of queries, however long the file), collecting every error
   with its line and column;
2. warnings (3 x the trust's median on earlier strike days, more than 90% of staff absent) for
   the valid rows, from one streamed query; with strict=True they are errors;
3. if nothing is wrong: one transaction that locks the stored returns the file touches, checks
   that none changed since step 1, then bulk-inserts new returns, bulk-updates changed ones and
   bulk-inserts a ReturnRevision for each change. A row identical to its stored return changes
   nothing.

Rows are kept as small tuples, not model instances, so that memory grows slowly with the file;
model instances are built one batch at a time when writing.

Authority: "national" (the command; NHS England) may load any trust's returns, including past,
locked actions; "trust" (the web upload) is limited to the uploader's trusts and to returns that
can be edited now (strike day begun, not hard-closed unless reopened).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from trusts import clock
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
from trusts.models.returns import FIGURE_FIELDS, PLANNED_FIELDS, RESCHEDULED_FIELDS, WORKFORCE_FIELDS
from trusts.services.audit import audit_record
from trusts.services.returns import (
    check_figures,
    earlier_medians,
    figure_warnings,
    format_day,
    format_time,
    is_nil_return,
)
from trusts.strike_calendar import end_of_day
from trusts.tabular import Row, RowError, TableError

IMPORT_COLUMNS = ["action", "ods_code", "date", *WORKFORCE_FIELDS, *RESCHEDULED_FIELDS]
# Planned denominators are not part of the command contract; a file may add them.
OPTIONAL_COLUMNS = list(PLANNED_FIELDS)
TEMPLATE_COLUMNS = IMPORT_COLUMNS + OPTIONAL_COLUMNS
# What an import compares and writes (it never touches the warning comment: a file has none).
COMPARED_FIELDS = (*FIGURE_FIELDS, "is_nil")
BATCH_SIZE = 2000

Authority = Literal["national", "trust"]


@dataclass
class ImportResult:
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    warnings: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.revised + self.unchanged


@dataclass(frozen=True)
class _Day:
    pk: int
    starts_at: dt.datetime
    deadline: dt.datetime


# One checked row: (line, action id, trust id, date, strike day id, figures in FIGURE_FIELDS order).
ParsedRow = tuple[int, int, int, dt.date, int, tuple[int | None, ...]]


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
        self.action_names = {a.pk: a.name for a in self.actions.values()}
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
    row: Row, ref: _Reference, *, authority: Authority, now: dt.datetime, seen: dict[tuple[int, int, dt.date], int],
    errors: list[RowError],
) -> ParsedRow | None:
    if "__error__" in row.values:
        errors.append(RowError(row.line, row.values["__error__"]))
        return None
    count = len(errors)
    slug = row["action"]
    action = ref.actions.get(slug)
    if not slug:
        errors.append(RowError(row.line, "is empty; enter the action's slug", "action"))
    elif action is None:
        errors.append(RowError(row.line, f"there is no industrial action with the slug '{slug}'", "action"))
    code = row["ods_code"].upper()
    trust_id = ref.trusts.get(code)
    if not code:
        errors.append(RowError(row.line, "is empty; enter the trust's ODS code", "ods_code"))
    elif trust_id is None:
        errors.append(RowError(row.line, f"there is no NHS trust with the ODS code '{code}'", "ods_code"))
    elif ref.allowed is not None and trust_id not in ref.allowed:
        errors.append(RowError(row.line, f"{code} is not one of your trusts: you can only upload your own trusts' "
                                         "returns", "ods_code"))
    day = _parse_date(row["date"])
    strike_day = None
    if not row["date"]:
        errors.append(RowError(row.line, "is empty; enter the strike day as YYYY-MM-DD, like 2023-04-12", "date"))
    elif day is None:
        errors.append(RowError(row.line, f"'{row['date']}' is not a date: write it as YYYY-MM-DD, like 2023-04-12",
                               "date"))
    elif action is not None:
        strike_day = ref.days.get((action.pk, day))
        if strike_day is None:
            errors.append(RowError(row.line, f"{format_day(day)} is not a strike day of {action.name}", "date"))
        elif now < strike_day.starts_at:
            errors.append(RowError(row.line, f"the strike day {format_day(day)} has not begun: its return can be "
                                             f"entered from {format_time(strike_day.starts_at)}", "date"))
        elif authority == "trust" and trust_id is not None:
            locks_at = ref.locks_at[action.pk]
            if locks_at is not None and now >= locks_at and (action.pk, trust_id) not in ref.reopened:
                errors.append(RowError(row.line, f"returns for {action.name} are locked: the action hard-closed at "
                                                 f"{format_time(locks_at)}", "date"))
    if action is not None and trust_id is not None and day is not None:
        key = (action.pk, trust_id, day)
        if key in seen:
            errors.append(RowError(row.line, f"repeats the return on line {seen[key]} (same action, trust and date)"))
        else:
            seen[key] = row.line
    affected = ref.is_affected(action.pk, trust_id) if action is not None and trust_id is not None else True
    field_errors, values = check_figures(figures=row.values, affected=affected, complete=True)
    errors.extend(RowError(row.line, message, name) for name, message in field_errors.items())
    if len(errors) > count or action is None or trust_id is None or day is None or strike_day is None:
        return None
    return (row.line, action.pk, trust_id, day, strike_day.pk, tuple(values[n] for n in FIGURE_FIELDS))


def _warnings(parsed: list[ParsedRow], ref: _Reference) -> list[RowError]:
    wanted: dict[int, set[dt.date]] = defaultdict(set)
    for _line, _action_id, trust_id, day, _sd, _figures in parsed:
        wanted[trust_id].add(day)
    medians = earlier_medians(wanted)
    warnings: list[RowError] = []
    for line, _action_id, trust_id, day, _sd, figures in parsed:
        values = dict(zip(FIGURE_FIELDS, figures, strict=True))
        for name, message in figure_warnings(values=values, medians=medians.get((trust_id, day), {})).items():
            warnings.append(RowError(line, message, name))
    return warnings


def _stored(parsed: list[ParsedRow], *, lock: bool) -> dict[tuple[int, int, dt.date], tuple[Any, ...]]:
    """The stored returns the file touches, in one query: key -> (pk, version, status, figures..., is_nil)."""
    if not parsed:
        return {}
    keys = {(p[1], p[2], p[3]) for p in parsed}
    queryset = DailyReturn.objects.filter(
        action_id__in={k[0] for k in keys}, trust_id__in={k[1] for k in keys},
        date__gte=min(k[2] for k in keys), date__lte=max(k[2] for k in keys))
    if lock:
        queryset = queryset.select_for_update()
    rows = queryset.values_list("action_id", "trust_id", "date", "pk", "version", "status", *COMPARED_FIELDS)
    return {(a, t, d): rest for a, t, d, *rest in rows.iterator(chunk_size=BATCH_SIZE) if (a, t, d) in keys}


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


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
) -> ImportResult:
    """Submit every row as its trust's return (or revise the stored one). Raises TableError with
    every problem, and saves nothing, if any row is wrong (or, with strict=True, looks wrong).
    `trusts` limits the rows to those trusts (the uploader's); `reason` goes on each revision."""
    now = now or clock.now()
    ref = _Reference(allowed=trusts, authority=authority, now=now)
    errors: list[RowError] = []
    seen: dict[tuple[int, int, dt.date], int] = {}
    parsed: list[ParsedRow] = []
    for row in rows:
        checked = _check_row(row, ref, authority=authority, now=now, seen=seen, errors=errors)
        if checked is not None:
            parsed.append(checked)
    del seen
    if not parsed and not errors:
        errors.append(RowError(2, "the file has a header but no returns"))
    warnings = _warnings(parsed, ref) if parsed else []
    if strict:
        errors.extend(RowError(w.line, f"{w.message} (a warning, refused with --strict)", w.column) for w in warnings)
        warnings = []
    stored = _stored(parsed, lock=False)
    reason = reason.strip()
    if authority == "trust" and not reason:
        deadlines = {d.pk: d.deadline for d in ref.days.values()}
        for line, action_id, trust_id, day, strike_day_id, figures in parsed:
            current = stored.get((action_id, trust_id, day))
            if (current is not None and current[2] == ReturnStatus.SUBMITTED and now > deadlines[strike_day_id]
                    and _changes(current, figures)):
                errors.append(RowError(line, "changes a return submitted for a strike day whose deadline has passed: "
                                             "give a reason for the changes"))
    if errors:
        errors.sort(key=lambda e: e.line)
        raise TableError(errors)
    result = ImportResult(warnings=sorted(warnings, key=lambda w: w.line))
    try:
        with transaction.atomic():
            locked = _stored(parsed, lock=True)
            if {k: v[1] for k, v in locked.items()} != {k: v[1] for k, v in stored.items()}:
                raise TableError([RowError(1, "some of these returns changed while the file was being checked; "
                                              "upload it again to see the figures now stored")])
            _write(parsed, locked, ref=ref, result=result, source=source, user=user, authority=authority,
                   reason=reason, now=now)
    except IntegrityError:
        raise TableError([RowError(1, "another change to these returns was saved at the same time; "
                                      "upload the file again")]) from None
    return result


def _changes(current: tuple[Any, ...], figures: tuple[int | None, ...]) -> dict[str, list[Any]]:
    old = dict(zip(COMPARED_FIELDS, current[3:], strict=True))
    new = dict(zip(FIGURE_FIELDS, figures, strict=True))
    new["is_nil"] = is_nil_return(new)
    return {name: [old[name], new[name]] for name in COMPARED_FIELDS if old[name] != new[name]}


def _write(
    parsed: list[ParsedRow], stored: dict[tuple[int, int, dt.date], tuple[Any, ...]], *, ref: _Reference,
    result: ImportResult, source: str, user: User | None, authority: Authority, reason: str, now: dt.datetime,
) -> None:
    deadlines = {d.pk: d.deadline for d in ref.days.values()}
    user_id = user.pk if user is not None and user.is_authenticated else None
    updated_at = timezone.now()
    per_trust: dict[int, dict[str, int]] = defaultdict(lambda: {"created": 0, "revised": 0, "unchanged": 0})
    new_rows: list[ParsedRow] = []
    first_submissions: list[DailyReturn] = []
    revisions: list[DailyReturn] = []
    revision_rows: list[ReturnRevision] = []

    def late(strike_day_id: int) -> bool:
        # NHS England's own loads (history, corrections) say nothing about a trust's timeliness.
        return authority == "trust" and now > deadlines[strike_day_id]

    for item in parsed:
        _line, action_id, trust_id, day, strike_day_id, figures = item
        values = dict(zip(FIGURE_FIELDS, figures, strict=True))
        current = stored.get((action_id, trust_id, day))
        if current is None:
            new_rows.append(item)
            per_trust[trust_id]["created"] += 1
            continue
        pk, version, status = current[0], current[1], current[2]
        common = {**values, "is_nil": is_nil_return(values), "submitted_at": now, "submitted_by_id": user_id,
                  "source": source, "updated_at": updated_at, "version": version + 1}
        if status == ReturnStatus.DRAFT:
            first_submissions.append(DailyReturn(pk=pk, status=ReturnStatus.SUBMITTED, first_submitted_at=now,
                                                 is_late=late(strike_day_id), **common))
            per_trust[trust_id]["created"] += 1
            continue
        changes = _changes(current, figures)
        if not changes:
            per_trust[trust_id]["unchanged"] += 1
            continue
        revisions.append(DailyReturn(pk=pk, **common))
        revision_rows.append(ReturnRevision(daily_return_id=pk, version=version + 1, changed_by_id=user_id,
                                            source=source, reason=reason, changes=changes))
        per_trust[trust_id]["revised"] += 1

    created_at = timezone.now()

    def new_returns() -> Iterator[dict[str, Any]]:
        for _line, action_id, trust_id, day, strike_day_id, figures in new_rows:
            values = dict(zip(FIGURE_FIELDS, figures, strict=True))
            yield {"action_id": action_id, "trust_id": trust_id, "strike_day_id": strike_day_id, "date": day,
                   "status": ReturnStatus.SUBMITTED.value, "first_submitted_at": now, "submitted_at": now,
                   "submitted_by_id": user_id, "source": source, "is_late": late(strike_day_id),
                   "is_nil": is_nil_return(values), "warning_comment": "", "version": 1,
                   "created_at": created_at, "updated_at": created_at, **values}

    update_fields = [*FIGURE_FIELDS, "is_nil", "submitted_at", "submitted_by_id", "source", "updated_at", "version"]
    if use_copy():
        _copy_insert(DailyReturn, new_returns())
        _copy_update(DailyReturn, first_submissions, [*update_fields, "status", "first_submitted_at", "is_late"])
        _copy_update(DailyReturn, revisions, update_fields)
        _copy_insert(ReturnRevision, ({"daily_return_id": r.daily_return_id, "version": r.version,
                                       "changed_by_id": r.changed_by_id, "source": r.source, "reason": r.reason,
                                       "changes": json.dumps(r.changes), "created_at": created_at}
                                      for r in revision_rows))
    else:
        for batch in _batches(DailyReturn(**values) for values in new_returns()):
            DailyReturn.objects.bulk_create(batch)
        DailyReturn.objects.bulk_update(first_submissions, [*update_fields, "status", "first_submitted_at",
                                                            "is_late"], batch_size=BATCH_SIZE)
        DailyReturn.objects.bulk_update(revisions, update_fields, batch_size=BATCH_SIZE)
        ReturnRevision.objects.bulk_create(revision_rows, batch_size=BATCH_SIZE)
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


def use_copy() -> bool:
    """PostgreSQL's COPY moves thousands of rows a second where INSERT ... VALUES and bulk_update's
    CASE WHEN manage hundreds; other databases take Django's bulk methods."""
    return connection.vendor == "postgresql"


def _column(model: type[Model], attname: str) -> str:
    return connection.ops.quote_name(next(f.column for f in model._meta.concrete_fields if f.attname == attname))


def _copy_insert(model: type[Model], rows: Iterable[dict[str, Any]]) -> None:
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    attnames = list(first)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_column(model, a) for a in attnames)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([row[a] for a in attnames])


def _copy_update(model: type[Model], objects: list[Model], attnames: list[str]) -> None:
    """UPDATE ... FROM a temporary table filled by COPY: one statement for any number of rows."""
    if not objects:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    temp = "returns_import_update"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS SELECT id, "  # noqa: S608 (names from the model)
                       + ", ".join(_column(model, a) for a in attnames) + f" FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {temp} (id, " + ", ".join(_column(model, a) for a in attnames)
                                + ") FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([obj.pk, *(getattr(obj, a) for a in attnames)])
        assignments = ", ".join(f"{_column(model, a)} = {temp}.{_column(model, a)}" for a in attnames)
        sql = f"UPDATE {table} SET {assignments} FROM {temp} WHERE {table}.id = {temp}.id"  # noqa: S608  # nosec B608
        cursor.execute(sql)
        cursor.execute(f"DROP TABLE {temp}")


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
