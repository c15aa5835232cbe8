"""Importing returns: python manage.py import_returns FILE [--strict] and the service behind it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tests.factories import local, make_action, make_return
from trusts.models import AuditEvent, DailyReturn, ReturnReopening, ReturnRevision, ReturnStatus, Role, Trust
from trusts.services.returns_import import (
    IMPORT_COLUMNS,
    OPTIONAL_COLUMNS,
    returns_import,
    returns_template_rows,
    template_csv,
    template_xlsx,
)
from trusts.tabular import TableError, iter_table

pytestmark = pytest.mark.django_db

HEADER = IMPORT_COLUMNS


def _write(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_returns", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _fail(path: Path, *args: str) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_returns", str(path), *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


@pytest.fixture
def april(db):
    return make_action(affected=["RWE", "RX1"])


def _row(slug: str, ods: str, day: str, absent: object = 700, due: object = 1200, elective: object = 40,
         outpatient: object = 500, community: object = 10, mental: object = 0) -> list[object]:
    return [slug, ods, day, absent, due, elective, outpatient, community, mental]


# --- the acceptance: 5,000 rows, one bad row on line 3,017 ------------------------------------------

@pytest.fixture
def big_file(tmp_path):
    """5,000 returns: every trust, 24 strike days of an action that affects every trust."""
    action = make_action(slug="winter", name="Everyone, January 2023",
                         windows=[(local(2023, 1, 2, 7), local(2023, 1, 26, 7))], affected=[])
    days = list(action.strike_days.values_list("date", flat=True))
    codes = list(Trust.objects.order_by("ods_code").values_list("ods_code", flat=True))
    # Steady figures (no warnings against the trust's earlier days), different from row to row.
    rows = [_row("winter", code, day.isoformat(), absent=40 + i % 7, due=100, elective=10 + i % 3,
                 outpatient=100 + i % 11, community=5 + i % 2, mental=3)
            for i, (code, day) in enumerate((c, d) for c in codes for d in days)][:5000]
    assert len(rows) == 5000
    return action, rows


def test_a_5000_row_file_with_one_bad_row_on_line_3017_saves_nothing_and_names_it(tmp_path, big_file) -> None:
    _, rows = big_file
    bad = [list(r) for r in rows]
    bad[3015][3] = 101  # line 3,017: the header is line 1, so data row 3,016 (index 3,015)
    errors = _fail(_write(tmp_path / "returns.csv", bad))
    assert errors.strip().splitlines() == [
        f"{tmp_path / 'returns.csv'}: line 3017, column staff_absent: Staff absent must be the same as or fewer "
        "than staff due to work (100)"]
    assert not DailyReturn.objects.exists()
    assert not AuditEvent.objects.filter(event="returns.imported").exists()


def test_the_fixed_file_imports_in_one_transaction_and_again_makes_revisions_only(
        tmp_path, big_file, django_assert_max_num_queries) -> None:
    _, rows = big_file
    path = _write(tmp_path / "returns.csv", rows)
    # A fixed number of queries (reference data, the temporary tables, the SQL steps, one page of
    # rows read back and its medians per 5,000 rows, one audit row per trust), not one per row.
    with django_assert_max_num_queries(25 + 209):
        out, _ = _run(path)
    assert out.strip() == "5000 submitted, 0 revised, 0 unchanged."
    assert DailyReturn.objects.filter(status=ReturnStatus.SUBMITTED, source="command").count() == 5000
    assert not DailyReturn.objects.filter(is_late=True).exists()

    out, _ = _run(path)
    assert out.strip() == "0 submitted, 0 revised, 5000 unchanged."
    assert not ReturnRevision.objects.exists()
    assert DailyReturn.objects.filter(version=1).count() == 5000

    changed = [list(r) for r in rows]
    for index in (0, 1234, 4999):
        changed[index][6] = int(changed[index][6]) + 1
    out, _ = _run(_write(tmp_path / "returns.csv", changed))
    assert out.strip() == "0 submitted, 3 revised, 4997 unchanged."
    assert DailyReturn.objects.count() == 5000
    revisions = ReturnRevision.objects.order_by("daily_return__trust__ods_code", "daily_return__date")
    assert revisions.count() == 3
    first = revisions[0]
    assert first.changes == {"outpatient_rescheduled": [rows[0][6], rows[0][6] + 1]}
    assert first.source == "command"
    assert first.reason == "Imported by the import_returns command from returns.csv"
    assert first.changed_by is None
    assert first.daily_return.version == 2


# --- every kind of bad row, with line and column -----------------------------------------------------

def test_every_error_is_listed_with_its_line_and_column(tmp_path, april) -> None:
    slug = april.slug
    rows = [
        _row(slug, "RWE", "2023-04-11"),                         # 2: fine
        _row("no-such-action", "RWE", "2023-04-11"),             # 3
        _row(slug, "ZZZ", "2023-04-11"),                         # 4
        _row(slug, "RWE", "2023-04-20"),                         # 5
        _row(slug, "RWE", "12/04/2023"),                         # 6: fine (UK date order)
        _row(slug, "RWE", "2023-04-11"),                         # 7: repeats line 2
        _row(slug, "RWE", "2023-04-13", absent="lots"),          # 8
        _row(slug, "RWE", "2023-04-14", elective=-3),            # 9
        _row(slug, "RX1", "2023-04-11", outpatient=1_000_001),   # 10
        _row(slug, "RX1", "2023-04-12", absent=1300),            # 11
        _row(slug, "RHM", "2023-04-11"),                         # 12: workforce from an unaffected trust
        _row(slug, "RX1", "2023-04-13", community=""),           # 13
        _row(slug, "RX1", "yesterday"),                          # 14
        _row(slug, "RX1", "2023-04-14", elective="4.5"),         # 15
    ]
    errors = _fail(_write(tmp_path / "r.csv", rows)).strip().splitlines()
    prefix = f"{tmp_path / 'r.csv'}: "
    assert [e.removeprefix(prefix) for e in errors] == [
        "line 3, column action: there is no industrial action with the slug 'no-such-action'",
        "line 4, column ods_code: there is no NHS trust with the ODS code 'ZZZ'",
        "line 5, column date: 20 April 2023 is not a strike day of Junior doctors, April 2023",
        "line 7: repeats the return on line 2 (same action, trust and date)",
        "line 8, column staff_absent: Staff absent must be a number, like 120",
        "line 9, column elective_rescheduled: Elective procedures rescheduled must be 0 or more",
        "line 10, column outpatient_rescheduled: Outpatient appointments rescheduled must be 1,000,000 or fewer",
        "line 11, column staff_absent: Staff absent must be the same as or fewer than staff due to work (1,200)",
        "line 12, column staff_absent: Leave staff absent empty: the action does not affect this trust, so it has "
        "no workforce figures",
        "line 12, column staff_due: Leave staff due to work empty: the action does not affect this trust, so it "
        "has no workforce figures",
        "line 13, column community_rescheduled: Enter the number of community appointments rescheduled",
        "line 14, column date: 'yesterday' is not a date: write it as YYYY-MM-DD, like 2023-04-12",
        "line 15, column elective_rescheduled: Elective procedures rescheduled must be a whole number, like 120",
    ]
    assert not DailyReturn.objects.exists()


def test_workforce_cells_may_be_empty_for_unaffected_trusts(tmp_path, april) -> None:
    out, _ = _run(_write(tmp_path / "r.csv", [_row(april.slug, "RHM", "2023-04-11", absent="", due="")]))
    assert out.strip() == "1 submitted, 0 revised, 0 unchanged."
    saved = DailyReturn.objects.get()
    assert (saved.staff_absent, saved.staff_due, saved.outpatient_rescheduled) == (None, None, 500)


def test_a_row_of_zeros_is_a_nil_return(tmp_path, april) -> None:
    _run(_write(tmp_path / "r.csv", [_row(april.slug, "RHM", "2023-04-11", "", "", 0, 0, 0, 0)]))
    assert DailyReturn.objects.get().is_nil


def test_a_strike_day_that_has_not_begun_is_refused_even_for_the_command(tmp_path) -> None:
    make_action(slug="future", name="Future action", windows=[(local(2099, 1, 5, 7), local(2099, 1, 6, 7))])
    errors = _fail(_write(tmp_path / "r.csv", [_row("future", "RWE", "2099-01-05")]))
    assert "line 2, column date: the strike day 5 January 2099 has not begun" in errors


def test_a_missing_column_is_reported_on_line_1(tmp_path) -> None:
    errors = _fail(_write(tmp_path / "r.csv", [["x", "RWE", "2023-04-11"]], header=["action", "ods_code", "date"]))
    assert "line 1: missing columns: staff_absent, staff_due, elective_rescheduled" in errors


def test_an_empty_file_is_refused(tmp_path) -> None:
    assert "line 2: the file has a header but no returns" in _fail(_write(tmp_path / "r.csv", []))


def test_an_existing_draft_becomes_a_first_submission(tmp_path, april, rwe) -> None:
    make_return(april, rwe, dt.date(2023, 4, 11), status=ReturnStatus.DRAFT, staff_absent=3)
    out, _ = _run(_write(tmp_path / "r.csv", [_row(april.slug, "RWE", "2023-04-11")]))
    assert out.strip() == "1 submitted, 0 revised, 0 unchanged."
    saved = DailyReturn.objects.get()
    assert (saved.status, saved.staff_absent, saved.version) == (ReturnStatus.SUBMITTED, 700, 2)
    assert saved.first_submitted_at is not None
    assert not ReturnRevision.objects.exists()


# --- XLSX ----------------------------------------------------------------------------------------------

def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_is_read_like_csv(tmp_path, april) -> None:
    rows = [_row(april.slug, "RWE", "2023-04-11"), [april.slug, "RX1", dt.datetime(2023, 4, 12), 5, 50, 1, 2, 3, 4]]
    out, _ = _run(_xlsx(tmp_path / "r.xlsx", rows))
    assert out.strip() == "2 submitted, 0 revised, 0 unchanged."


def test_xlsx_with_a_formula_and_text_in_number_cells_is_refused(tmp_path, april) -> None:
    rows = [
        _row(april.slug, "RWE", "2023-04-11", outpatient="=200+300"),
        _row(april.slug, "RWE", "2023-04-12", absent="about 700"),
        _row(april.slug, "RX1", "2023-04-12", due="n/a"),
    ]
    errors = _fail(_xlsx(tmp_path / "r.xlsx", rows))
    assert "line 2: column outpatient_rescheduled holds a formula; type the value instead" in errors
    assert "line 3, column staff_absent: Staff absent must be a number, like 120" in errors
    assert "line 4, column staff_due: Staff due to work must be a number, like 120" in errors
    assert not DailyReturn.objects.exists()


# --- warnings -------------------------------------------------------------------------------------------

def test_warnings_are_printed_but_do_not_block(tmp_path, april, march_history) -> None:
    out, _ = _run(_write(tmp_path / "r.csv", [_row(april.slug, "RWE", "2023-04-11", absent=250, outpatient=301),
                                              _row(april.slug, "RX1", "2023-04-11", absent=1190)]))
    lines = out.strip().splitlines()
    assert lines == [
        f"{tmp_path / 'r.csv'}: warning: line 2, column outpatient_rescheduled: Outpatient appointments rescheduled "
        "(301) is more than 3 times this trust's usual figure on earlier strike days (median 100)",
        f"{tmp_path / 'r.csv'}: warning: line 3, column staff_absent: Staff absent (1,190) is more than 90% of staff "
        "due to work (1,200)",
        "2 submitted, 0 revised, 0 unchanged, 2 warning(s).",
    ]
    assert DailyReturn.objects.filter(date=dt.date(2023, 4, 11)).count() == 2


def test_strict_turns_warnings_into_errors(tmp_path, april, march_history) -> None:
    errors = _fail(_write(tmp_path / "r.csv", [_row(april.slug, "RWE", "2023-04-11", outpatient=301)]), "--strict")
    assert "line 2, column outpatient_rescheduled: Outpatient appointments rescheduled (301) is more than 3 times " \
           "this trust's usual figure on earlier strike days (median 100) (a warning, refused with --strict)" in errors
    assert not DailyReturn.objects.filter(action=april).exists()


# --- authority: the command loads history; a trust upload is scoped and locked ------------------------

def _rows(*rows: list[object]):
    data = io.BytesIO()
    text = io.TextIOWrapper(data, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    text.flush()
    text.detach()  # keep the bytes open when the text wrapper goes
    data.seek(0)
    return iter_table(data, "r.csv", required=IMPORT_COLUMNS, optional=OPTIONAL_COLUMNS)


def test_the_command_loads_past_locked_actions(tmp_path) -> None:
    make_action(slug="nurses-2022", name="Nurses, December 2022",
                windows=[(local(2022, 12, 15, 8), local(2022, 12, 15, 20)), (local(2022, 12, 20, 8),
                                                                              local(2022, 12, 20, 20))])
    out, _ = _run(_write(tmp_path / "h.csv", [_row("nurses-2022", "RWE", "2022-12-15"),
                                              _row("nurses-2022", "RWE", "2022-12-20")]))
    assert out.strip() == "2 submitted, 0 revised, 0 unchanged."


def test_a_trust_upload_is_limited_to_the_uploaders_trusts(april, ada) -> None:
    from trusts.scoping import trusts_with_role

    with pytest.raises(TableError) as raised:
        returns_import(rows=_rows(_row(april.slug, "RWE", "2023-04-11"), _row(april.slug, "RX1", "2023-04-11")),
                       source="upload", user=ada, trusts=trusts_with_role(ada, Role.TRUST_ADMIN), authority="trust",
                       now=local(2023, 4, 12, 9))
    assert [str(e) for e in raised.value.errors] == [
        "line 3, column ods_code: RX1 is not one of your trusts: you can only upload your own trusts' returns"]
    assert not DailyReturn.objects.exists()


def test_a_trust_upload_respects_the_hard_close_and_reopenings(april, rwe, ada, nia) -> None:
    def upload():
        return returns_import(rows=_rows(_row(april.slug, "RWE", "2023-04-11")), source="upload", user=ada,
                              trusts=Trust.objects.filter(ods_code="RWE"), authority="trust",
                              now=local(2023, 4, 24, 9))

    with pytest.raises(TableError) as raised:
        upload()
    assert str(raised.value.errors[0]) == ("line 2, column date: returns for Junior doctors, April 2023 are locked: "
                                           "the action hard-closed at midnight on Saturday 22 April 2023")
    ReturnReopening.objects.create(action=april, trust=rwe, reopened_by=nia, reason="Recount",
                                   closes_at=local(2023, 4, 25, 17))
    result = upload()
    assert result.created == 1
    assert DailyReturn.objects.get().is_late  # a trust's own late submission is flagged
    event = AuditEvent.objects.get(event="returns.imported")
    assert (event.trust_code, event.actor) == ("RWE", ada)


def test_a_trust_upload_that_changes_returns_after_their_deadline_needs_a_reason(april, rwe, ada) -> None:
    make_return(april, rwe, dt.date(2023, 4, 11), staff_absent=700, staff_due=1200, elective_rescheduled=40,
                outpatient_rescheduled=500, community_rescheduled=10)

    def upload(reason: str = ""):
        return returns_import(rows=_rows(_row(april.slug, "RWE", "2023-04-11", absent=650)), source="upload",
                              user=ada, trusts=Trust.objects.filter(ods_code="RWE"), authority="trust",
                              reason=reason, now=local(2023, 4, 14, 9))

    with pytest.raises(TableError) as raised:
        upload()
    assert "line 2: changes a return submitted for a strike day whose deadline has passed" in str(raised.value)
    result = upload("Bank staff were counted twice")
    assert (result.created, result.revised) == (0, 1)
    revision = ReturnRevision.objects.get()
    assert (revision.reason, revision.changed_by, revision.changes) == (
        "Bank staff were counted twice", ada, {"staff_absent": [700, 650]})


# --- the template -------------------------------------------------------------------------------------

def test_the_template_lists_the_trusts_strike_days_and_round_trips_unchanged(april, rwe, tmp_path) -> None:
    make_return(april, rwe, dt.date(2023, 4, 12), staff_absent=700, staff_due=1200, outpatient_rescheduled=5)
    rows = returns_template_rows(action=april, trusts=[rwe])
    assert rows[0] == IMPORT_COLUMNS + OPTIONAL_COLUMNS
    assert [r[:3] for r in rows[1:]] == [[april.slug, "RWE", f"2023-04-{d}"] for d in (11, 12, 13, 14)]
    assert rows[2][3:9] == ["700", "1200", "0", "5", "0", "0"]
    assert template_csv(rows).decode().startswith("action,ods_code,date,staff_absent")
    # The stored return, downloaded and uploaded unchanged, stays as it is.
    (tmp_path / "t.xlsx").write_bytes(template_xlsx([rows[0], rows[2]]))
    out, _ = _run(tmp_path / "t.xlsx")
    assert out.strip() == "0 submitted, 0 revised, 1 unchanged."


def test_the_copy_path_stores_returns_and_revisions(tmp_path, april, rwe) -> None:
    make_return(april, rwe, dt.date(2023, 4, 13), status=ReturnStatus.DRAFT, staff_absent=1)
    rows = [_row(april.slug, "RWE", "2023-04-11"), _row(april.slug, "RHM", "2023-04-12", "", "", 0, 0, 0, 0),
            _row(april.slug, "RWE", "2023-04-13")]
    _run(_write(tmp_path / "r.csv", rows))
    rows[0][5] = 41
    out, _ = _run(_write(tmp_path / "r.csv", rows))
    assert out.strip() == "0 submitted, 1 revised, 2 unchanged."
    stored = {(r.trust.ods_code, r.date.day): r for r in DailyReturn.objects.select_related("trust")}
    first = stored[("RWE", 11)]
    assert (first.elective_rescheduled, first.version, first.status, first.source) == (41, 2, "submitted", "command")
    assert first.created_at is not None and first.first_submitted_at is not None
    assert stored[("RHM", 12)].is_nil and stored[("RHM", 12)].staff_due is None
    assert (stored[("RWE", 13)].status, stored[("RWE", 13)].version) == ("submitted", 2)
    assert ReturnRevision.objects.get().changes == {"elective_rescheduled": [40, 41]}
