"""The streaming import (trusts/services/returns_import.py): rows go to a temporary table and are
checked and merged in SQL, warnings to sorted runs in a temporary file. What that design must keep:
repeats named with both lines, a change saved meanwhile refusing the file, warnings in line order
only once the returns are saved, no temporary table left behind, and memory that does not grow
with the file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import F

from tests.factories import local, make_action, make_return
from trusts.models import DailyReturn, ReturnRevision, Trust
from trusts.services import returns_import as service
from trusts.services.returns_import import IMPORT_COLUMNS, OPTIONAL_COLUMNS, ImportResult, returns_import
from trusts.tabular import RowError, TableError, iter_table

pytestmark = pytest.mark.django_db


def _row(slug: str, ods: str, day: str, absent: object = 700, due: object = 1200, elective: object = 40,
         outpatient: object = 500, community: object = 10, mental: object = 0) -> list[object]:
    return [slug, ods, day, absent, due, elective, outpatient, community, mental]


def _csv(rows: list[list[object]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(IMPORT_COLUMNS)
    writer.writerows(rows)
    return text.getvalue().encode()


def _import(rows: list[list[object]], **options: object) -> ImportResult:
    table = iter_table(io.BytesIO(_csv(rows)), "r.csv", required=IMPORT_COLUMNS, optional=OPTIONAL_COLUMNS)
    return returns_import(rows=table, source="command", **options)  # type: ignore[arg-type]


def _errors(rows: list[list[object]], **options: object) -> list[str]:
    with pytest.raises(TableError) as raised:
        _import(rows, **options)
    return [str(e) for e in raised.value.errors]


def _temporary_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relpersistence = 't' AND relkind = 'r' "
                       "AND relname LIKE 'returns_import%%'")
        return [name for (name,) in cursor.fetchall()]


@pytest.fixture
def april(db):
    return make_action(affected=["RWE", "RX1"])


def test_repeats_name_the_first_line_whatever_the_date_format_and_whether_the_first_row_was_wrong(april) -> None:
    slug = april.slug
    errors = _errors([
        _row(slug, "RWE", "2023-04-11"),                  # 2
        _row(slug, "rwe", "11/04/2023"),                  # 3: the same return (code case, UK date)
        _row(slug, "RX1", "2023-04-12", absent=1300),     # 4: wrong, but still the first of its key
        _row(slug, "RWE", "2023-04-11", absent="lots"),   # 5: a repeat with its own error
        _row(slug, "RX1", "2023-04-12"),                  # 6
        _row(slug, "RX1", "2023-04-13"),                  # 7: fine
    ])
    assert errors == [
        "line 3: repeats the return on line 2 (same action, trust and date)",
        "line 4, column staff_absent: Staff absent must be the same as or fewer than staff due to work (1,200)",
        "line 5: repeats the return on line 2 (same action, trust and date)",
        "line 5, column staff_absent: Staff absent must be a number, like 120",
        "line 6: repeats the return on line 4 (same action, trust and date)",
    ]
    assert not DailyReturn.objects.exists()


def test_a_file_of_repeats_only_is_not_called_empty(april) -> None:
    errors = _errors([_row(april.slug, "RWE", "2023-04-11")] * 3)
    assert errors == [f"line {n}: repeats the return on line 2 (same action, trust and date)" for n in (3, 4)]


def test_strict_reports_warnings_of_first_rows_only_with_the_other_errors(april, march_history) -> None:
    errors = _errors([_row(april.slug, "RWE", "2023-04-11", absent=100, outpatient=301),
                      _row(april.slug, "RWE", "2023-04-11", absent=100, outpatient=302),
                      _row(april.slug, "ZZZ", "2023-04-11")], strict=True)
    assert errors == [
        "line 2, column outpatient_rescheduled: Outpatient appointments rescheduled (301) is more than 3 times this "
        "trust's usual figure on earlier strike days (median 100) (a warning, refused with --strict)",
        "line 3: repeats the return on line 2 (same action, trust and date)",
        "line 4, column ods_code: there is no NHS trust with the ODS code 'ZZZ'",
    ]


@pytest.mark.parametrize("meanwhile", ["changed", "deleted"])
def test_a_return_changed_or_deleted_while_the_file_is_checked_refuses_the_file(
        april, rwe, monkeypatch, meanwhile) -> None:
    make_return(april, rwe, dt.date(2023, 4, 11), staff_absent=700, staff_due=1200, elective_rescheduled=40,
                outpatient_rescheduled=500, community_rescheduled=10)
    medians = service._file_medians

    def concurrent_writer(cursor, wanted):
        # Runs between classifying the stored returns and locking them, as another writer could.
        stored = DailyReturn.objects.filter(trust=rwe, date=dt.date(2023, 4, 11))
        if meanwhile == "changed":
            stored.update(version=F("version") + 1, elective_rescheduled=41)
        else:
            stored.delete()
        return medians(cursor, wanted)

    monkeypatch.setattr(service, "_file_medians", concurrent_writer)
    errors = _errors([_row(april.slug, "RWE", "2023-04-11", absent=650), _row(april.slug, "RX1", "2023-04-11")])
    assert errors == ["line 1: some of these returns changed while the file was being checked; upload it again "
                      "to see the figures now stored"]
    assert not ReturnRevision.objects.exists()
    assert not DailyReturn.objects.filter(trust__ods_code="RX1").exists()


def test_warnings_come_in_line_order_once_the_returns_are_saved(april, march_history, monkeypatch) -> None:
    # Batches of 2 rows: the warnings are found in three batches (runs) that must be merged.
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    march, rx1 = march_history, Trust.objects.get(ods_code="RX1")
    for day in (13, 14):
        make_return(march, rx1, dt.date(2023, 3, day), outpatient_rescheduled=100, staff_absent=10, staff_due=1000)
    seen: list[tuple[RowError, int]] = []

    def on_warning(warning: RowError) -> None:
        seen.append((warning, DailyReturn.objects.filter(action=april).count()))

    # The warnings pass reads rows in (trust, date) order; the caller gets them in line order.
    rows = [_row(april.slug, "RX1", "2023-04-12", absent=10, outpatient=400),
            _row(april.slug, "RWE", "2023-04-13", absent=1190, outpatient=100),
            _row(april.slug, "RX1", "2023-04-11", absent=10, outpatient=301),
            _row(april.slug, "RWE", "2023-04-11", absent=100, outpatient=100),
            _row(april.slug, "RWE", "2023-04-12", absent=100, outpatient=900)]
    result = _import(rows, on_warning=on_warning)
    assert [(str(w), saved) for w, saved in seen] == [
        ("line 2, column outpatient_rescheduled: Outpatient appointments rescheduled (400) is more than 3 times "
         "this trust's usual figure on earlier strike days (median 100)", 5),
        ("line 3, column staff_absent: Staff absent (1,190) is more than 3 times this trust's usual figure on "
         "earlier strike days (median 100). Staff absent (1,190) is more than 90% of staff due to work (1,200)", 5),
        ("line 4, column outpatient_rescheduled: Outpatient appointments rescheduled (301) is more than 3 times "
         "this trust's usual figure on earlier strike days (median 100)", 5),
        ("line 6, column outpatient_rescheduled: Outpatient appointments rescheduled (900) is more than 3 times "
         "this trust's usual figure on earlier strike days (median 100)", 5),
    ]
    assert (result.created, result.warning_count, result.warnings) == (5, 4, [])

    # Without a callback they are collected, in the same order.
    DailyReturn.objects.filter(action=april).delete()
    collected = _import(rows)
    assert collected.warnings == [w for w, _ in seen]


def test_no_temporary_table_is_left_after_an_import_that_saves_or_fails(april) -> None:
    _import([_row(april.slug, "RWE", "2023-04-11")])
    assert _temporary_tables() == []
    _errors([_row(april.slug, "ZZZ", "2023-04-11")])
    assert _temporary_tables() == []

    def failing(warning: RowError) -> None:
        raise RuntimeError("the terminal went away")

    with pytest.raises(RuntimeError):
        _import([_row(april.slug, "RX1", "2023-04-11", absent=1190)], on_warning=failing)
    assert _temporary_tables() == []
    # Saved before the warnings were handed over: they are reported after the commit.
    assert DailyReturn.objects.filter(trust__ods_code="RX1").exists()


def test_a_second_import_on_the_same_connection_starts_clean(april) -> None:
    # A session left with the tables (an earlier failure to drop them) does not break the next import.
    with connection.cursor() as cursor:
        service._create_tables(cursor)
    result = _import([_row(april.slug, "RWE", "2023-04-11")])
    assert result.created == 1


# --- memory --------------------------------------------------------------------------------------------

def _peak_bytes(path: Path) -> int:
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            returns_import(rows=iter_table(stream, "r.csv", required=IMPORT_COLUMNS, optional=OPTIONAL_COLUMNS),
                           source="command")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file(tmp_path, monkeypatch) -> None:
    # Small batches, so that a file of a few thousand rows is many batches long: what Python holds
    # must be a batch, not the file. (Before the temporary table it held about 1.2 KB a row.)
    monkeypatch.setattr(service, "BATCH_SIZE", 200)
    codes = list(Trust.objects.order_by("ods_code").values_list("ods_code", flat=True))
    peaks = []
    for slug, month, rows in (("small", 1, 800), ("large", 2, 4000)):
        action = make_action(slug=slug, name=f"Everyone, {slug}", affected=[],
                             windows=[(local(2023, month, 1, 7), local(2023, month, 25, 7))])
        days = list(action.strike_days.values_list("date", flat=True))
        keys = [(code, day) for day in days for code in codes][:rows]
        path = tmp_path / f"{slug}.csv"
        path.write_bytes(_csv([_row(slug, code, day.isoformat(), 40, 100, 10, 100, 5, 3) for code, day in keys]))
        peaks.append(_peak_bytes(path))
    assert DailyReturn.objects.count() == 4800
    small, large = peaks
    # Five times the rows, about the same peak. The design that held every row measured 0.5 MB and
    # 3.6 MB here; this one about 0.3 MB and 0.45 MB.
    assert large < small * 1.3 + 200_000, peaks
