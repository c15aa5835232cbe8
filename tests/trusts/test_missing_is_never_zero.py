"""Issue 12, "Done when": returns imported for a few trusts (one a nil return, one late), published
with the publish_release command, then every output read back: the release (HTML, JSON, CSV,
coverage CSV, XLSX), open data, the API, national_totals (csv, json, table), the action report and
the managers' downloads. A trust that sent nothing is empty and "not submitted" everywhere; the nil
return is 0 and "nil return"; coverage is the same number everywhere."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from reports.models import Release
from tests.api.conftest import Api
from tests.factories import local, make_action, make_return
from trusts.models import DailyReturn, IndustrialAction, Trust
from trusts.selectors.completeness import expected_trusts

pytestmark = pytest.mark.django_db

DAY = dt.date(2023, 4, 11)
SLUG = "junior-doctors-one-day"
FIGURES = ("staff_absent", "staff_due", "elective_rescheduled", "outpatient_rescheduled", "community_rescheduled",
           "mental_health_rescheduled", "acute_rescheduled", "total_rescheduled")
# Leicester reports, Nottingham confirms a nil return, Sheffield reports late; Guy's and St Thomas'
# (RJ1) sends nothing.
SUBMITTED, NIL, LATE, SILENT = "RWE", "RX1", "R1H", "RJ1"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def published(tmp_path: Path, settings):
    settings.SITE_URL = "https://strikeops.example"
    action = make_action(SLUG, "Junior doctors, one day", [(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])
    source = tmp_path / "returns.csv"
    source.write_text(
        "action,ods_code,date,staff_absent,staff_due,elective_rescheduled,outpatient_rescheduled,"
        "community_rescheduled,mental_health_rescheduled\n"
        f"{SLUG},{SUBMITTED},2023-04-11,700,1900,165,2133,4,1\n"
        f"{SLUG},{NIL},2023-04-11,0,1200,0,0,0,0\n", encoding="utf-8")
    run("import_returns", str(source))
    make_return(action, LATE, DAY, elective_rescheduled=10, outpatient_rescheduled=20, staff_absent=50, staff_due=900)
    DailyReturn.objects.filter(trust__ods_code=LATE).update(is_late=True)
    assert DailyReturn.objects.get(trust__ods_code=NIL).is_nil
    return action


def _expected() -> int:
    return expected_trusts(IndustrialAction.objects.get(slug=SLUG), DAY).count()


def _row_text(page: str, name: str) -> str:
    """The text of the table row that names the trust (tags stripped, spaces collapsed)."""
    rows = re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", page, flags=re.S)
    (row,) = [r for r in rows if html.escape(name) in r or name in html.unescape(r)]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())


def _numbers(row: str, code: str) -> list[str]:
    return re.findall(r"\b\d[\d,]*\b", row.replace(code, ""))


def test_every_output_says_not_submitted_for_missing_and_0_for_a_nil_return(
        published, client, nia) -> None:
    expected = _expected()
    names = {t.ods_code: t.name for t in Trust.objects.filter(ods_code__in=[SUBMITTED, NIL, LATE, SILENT])}
    coverage = {"returns_expected": expected, "returns_received": 3, "percent": int(3000 / expected) / 10}
    assert expected > 100 and coverage["percent"] < 95

    # --- national_totals: json, csv, table
    entry = json.loads(run("national_totals", "--format", "json", "--action", SLUG))["actions"][0]
    assert entry["coverage"] == coverage
    (day,) = entry["days"]
    assert (day["returns_expected"], day["returns_received"], day["returns_on_time"]) == (expected, 3, 2)
    assert day["elective_rescheduled"] == 175 and entry["totals"]["acute_rescheduled"] == 2328
    assert entry["headline"].endswith(f"from 11 to 12 April 2023 (based on returns from 3 of {expected} trusts).")
    assert entry["totals"]["average_staff_absent"] == 750.0
    assert entry["totals"]["planned_care_maintained_percent"] is None  # nobody gave planned figures
    assert entry["previous_action"] is None
    rows = list(csv.DictReader(io.StringIO(run("national_totals", "--format", "csv", "--action", SLUG))))
    total = next(r for r in rows if r["date"] == "total")
    assert (total["returns_expected"], total["returns_received"], total["returns_on_time"]) == (
        str(expected), "3", "2")
    assert total["coverage_percent"] == str(coverage["percent"])
    table = run("national_totals", "--action", SLUG)
    assert f"Coverage: 3 of {expected} returns ({coverage['percent']}%)" in table

    # --- the gate: refused without a reason, nothing published
    with pytest.raises(CommandError, match="Coverage is below 95%") as refused:
        run("publish_release", SLUG, "--note", "First figures")
    assert refused.value.returncode == 1 and not Release.objects.exists()
    out = run("publish_release", SLUG, "--note", "First figures", "--allow-incomplete",
              "--reason", "Ministers asked for early figures")
    release = Release.objects.get()
    assert release.incomplete_reason == "Ministers asked for early figures" and release.note == "First figures"
    for address in (f"https://strikeops.example/reports/releases/{SLUG}/1/",
                    f"https://strikeops.example/reports/releases/{SLUG}/1.json",
                    f"https://strikeops.example/open-data/releases/{SLUG}/1.csv",
                    f"https://strikeops.example/open-data/releases/{SLUG}/1-coverage.csv",
                    f"https://strikeops.example/open-data/releases/{SLUG}/1.xlsx",
                    f"https://strikeops.example/api/v1/releases/{SLUG}/1/"):
        assert address in out

    # --- release JSON
    data = client.get(f"/reports/releases/{SLUG}/1.json").json()
    assert data["incomplete_reason"] == "Ministers asked for early figures"
    assert data["figures"]["national"]["coverage"] == coverage
    trusts = {t["code"]: t for t in data["figures"]["trusts"]}
    assert trusts[SILENT]["status"] == "not submitted"
    assert all(trusts[SILENT]["days"][0][m] is None for m in FIGURES)
    assert trusts[SILENT]["totals"]["total_rescheduled"] is None
    assert trusts[SILENT]["totals"]["peak_staff_absent"] is None
    assert trusts[NIL]["status"] == trusts[NIL]["days"][0]["status"] == "nil return"
    assert trusts[NIL]["days"][0]["elective_rescheduled"] == 0 and trusts[NIL]["totals"]["total_rescheduled"] == 0
    assert trusts[SUBMITTED]["status"] == "submitted" and trusts[LATE]["status"] == "late"

    # --- release HTML
    page = client.get(f"/reports/releases/{SLUG}/1/").content.decode()
    assert "Ministers asked for early figures" in page
    assert f"3 of {expected} expected returns ({coverage['percent']}%)" in page
    silent_row = _row_text(page, names[SILENT])
    # Six totals, the peak and the status say so; the one number is "days reported: 0".
    assert silent_row.count("Not submitted") == 8 and _numbers(silent_row, SILENT) == ["0"]
    nil_row = _row_text(page, names[NIL])
    assert "Nil return" in nil_row and "Not submitted" not in nil_row and " 0 " in nil_row

    # --- open data: the release CSV and its coverage CSV
    reader = csv.DictReader(io.StringIO(client.get(f"/open-data/releases/{SLUG}/1.csv").content.decode()))
    by_trust = {r["code"]: r for r in reader if r["level"] == "trust"}
    assert by_trust[SILENT]["status"] == "not submitted" and all(by_trust[SILENT][m] == "" for m in FIGURES)
    assert by_trust[NIL]["status"] == "nil return" and by_trust[NIL]["elective_rescheduled"] == "0"
    assert by_trust[LATE]["status"] == "late"
    coverage_rows = list(csv.reader(io.StringIO(
        client.get(f"/open-data/releases/{SLUG}/1-coverage.csv").content.decode())))
    assert coverage_rows == [["date", "returns_expected", "returns_received", "returns_on_time", "percent_received"],
                             ["2023-04-11", str(expected), "3", "2", str(coverage["percent"])]]
    assert f"/open-data/releases/{SLUG}/1.xlsx" in client.get("/open-data/").content.decode()

    # --- release XLSX
    workbook = load_workbook(io.BytesIO(client.get(f"/open-data/releases/{SLUG}/1.xlsx").content))
    assert workbook.sheetnames == ["Metadata", "England", "Regions", "ICBs", "Trusts"]
    sheet = list(workbook["Trusts"].iter_rows(values_only=True))
    header = sheet[1]
    rows_by_code = {r[0]: dict(zip(header, r, strict=True)) for r in sheet[2:]}
    assert rows_by_code[SILENT]["Status"] == "not submitted"
    assert rows_by_code[SILENT]["11 Apr 2023 elective procedures rescheduled"] is None
    assert rows_by_code[NIL]["Status"] == "nil return"
    assert rows_by_code[NIL]["11 Apr 2023 elective procedures rescheduled"] == 0
    metadata = {r[0]: r[1] for r in workbook["Metadata"].iter_rows(values_only=True) if r[0]}
    assert metadata["Release number"] == 1
    assert metadata["Published below the coverage threshold because"] == "Ministers asked for early figures"
    assert metadata["Coverage"] == f"3 of {expected} expected returns ({coverage['percent']}%)"
    assert [r[:4] for r in workbook["Metadata"].iter_rows(values_only=True) if r[0] == "2023-04-11"] == [
        ("2023-04-11", expected, 3, 2)]

    # --- the API: live totals and the release
    api = Api(client)
    body = api("GET", f"/api/v1/totals/{SLUG}/", nia).body
    assert body["england"]["coverage"] == coverage
    assert body["england"]["days"][0]["returns_on_time"] == 2
    api_trusts = {t["code"]: t for t in body["trusts"]}
    assert api_trusts[SILENT]["status"] == "not submitted"
    assert api_trusts[SILENT]["days"][0]["status"] == "not submitted"
    assert api_trusts[SILENT]["days"][0]["elective_rescheduled"] is None
    assert api_trusts[SILENT]["totals"]["total_rescheduled"] is None
    assert api_trusts[NIL]["status"] == "nil return" and api_trusts[NIL]["days"][0]["elective_rescheduled"] == 0
    listed = {row["action"]: row for row in api("GET", "/api/v1/totals/", nia).body["actions"]}
    assert listed[SLUG]["coverage"] == coverage
    released = api("GET", f"/api/v1/releases/{SLUG}/1/").body
    assert released["incomplete_reason"] == "Ministers asked for early figures"
    assert {t["code"]: t["status"] for t in released["figures"]["trusts"]}[SILENT] == "not submitted"

    # --- the action report and the managers' downloads
    client.force_login(nia)
    report = client.get(f"/reports/actions/{SLUG}/").content.decode()
    assert f"(based on returns from 3 of {expected} trusts)" in report
    assert "On average 750 staff were absent each day." in html.unescape(report)
    silent_page = client.get(f"/reports/actions/{SLUG}/", {"q": SILENT}).content.decode()
    silent_row = _row_text(silent_page, names[SILENT])
    # Days reported "0 of 1" and the "Missing 1" tag are the only numbers.
    assert silent_row.count("Not submitted") == 8 and _numbers(silent_row, SILENT) == ["0", "1", "1"]
    nil_row = _row_text(client.get(f"/reports/actions/{SLUG}/", {"q": NIL}).content.decode(), names[NIL])
    assert "Nil return" in nil_row and "Not submitted" not in nil_row
    download = list(csv.DictReader(io.StringIO(
        client.get(f"/reports/actions/{SLUG}/download.csv").content.decode("utf-8-sig"))))
    by_code = {r["ODS code"]: r for r in download}
    assert by_code[SILENT]["Status"] == "not submitted" and by_code[SILENT]["Total total rescheduled"] == ""
    assert by_code[NIL]["Status"] == "nil return" and by_code[NIL]["Total total rescheduled"] == "0"
    manager_book = load_workbook(io.BytesIO(client.get(f"/reports/actions/{SLUG}/download.xlsx").content))
    manager_rows = {r[0]: r for r in manager_book["Trusts"].iter_rows(min_row=3, values_only=True)}
    assert manager_rows[SILENT][5] == "not submitted" and manager_rows[NIL][5] == "nil return"
