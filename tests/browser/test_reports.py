"""The national manager's journey through the reports, and what an anonymous visitor sees."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.factories import local, make_action, make_return
from trusts.models import Trust
from trusts.services.returns import return_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY1 = dt.date(2023, 4, 11)
FIGURES = {"staff_absent": 700, "staff_due": 2000, "elective_rescheduled": 165, "outpatient_rescheduled": 2133,
           "community_rescheduled": 0, "mental_health_rescheduled": 0}


def test_nia_reports_downloads_and_publishes_and_the_public_sees_only_releases(page, nia, ada) -> None:
    rwe = Trust.objects.get(ods_code="RWE")
    action = make_action(affected=["RWE"])
    return_submit(action=action, trust=rwe, day=DAY1, user=ada, figures=FIGURES, now=local(2023, 4, 12, 9))
    make_return(action, "RX1", DAY1, elective_rescheduled=10, outpatient_rescheduled=5)
    make_return(action, "RJ1", DAY1, elective_rescheduled=900, outpatient_rescheduled=4000)

    sign_in(page, nia.email)
    page.get_by_role("link", name="Reports").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Industrial action reports"
    assert_accessible(page)
    page.get_by_role("link", name="Junior doctors, April 2023").click()
    # A few trusts reported: the headline says so (issue 12).
    assert ("More than 7,200 appointments and procedures were rescheduled during the junior doctors' industrial "
            "action from 11 to 15 April 2023 (based on returns from ") in page.inner_text("main")

    # Sort the trust table by acute rescheduled, largest first: a plain link, no JavaScript needed.
    trusts = page.locator("table#trusts")
    trusts.get_by_role("link", name="Acute (sort descending)").click()
    assert "sort=acute_rescheduled" in page.url and "dir=desc" in page.url
    first_rows = trusts.locator("tbody tr th").all_inner_texts()[:3]
    assert first_rows == ["Guy's and St Thomas' NHS Foundation Trust", "University Hospitals of Leicester NHS Trust",
                          "Nottingham University Hospitals NHS Trust"]
    assert trusts.locator("th[aria-sort=descending]").inner_text().startswith("Acute")
    assert_accessible(page)  # the action report, with its charts and every table

    # 50 trusts a page: the next page, from the keyboard, keeps the order (a plain link).
    assert "Showing trusts 1 to 50 of" in loaded(page).inner_text("main")
    page.get_by_role("link", name="Next page").focus()
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert "page=2" in page.url and "sort=acute_rescheduled" in page.url and "dir=desc" in page.url
    assert "Showing trusts 51 to 100 of" in page.inner_text("main")
    assert "Guy's and St Thomas' NHS Foundation Trust" not in trusts.locator("tbody").inner_text()
    assert_accessible(page)  # page 2, with the pagination links
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Previous page").click()
    assert trusts.locator("tbody tr th").all_inner_texts()[:1] == ["Guy's and St Thomas' NHS Foundation Trust"]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download figures by trust (XLSX, England)").click()
    download = download_info.value
    assert download.suggested_filename == f"{action.slug}-england.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = list(workbook["Trusts"].iter_rows(values_only=True))
    header = list(rows[1])
    rwe_row = dict(zip(header, next(r for r in rows if r[0] == "RWE"), strict=True))
    assert rwe_row["Total acute rescheduled (elective and outpatient)"] == 2298
    assert rwe_row["Peak staff absent"] == 700
    assert any(r[0] == "Coverage per strike day (England)" for r in workbook["Metadata"].iter_rows(values_only=True))

    page.get_by_role("link", name="Publish these figures").click()
    assert_accessible(page)
    page.get_by_role("button", name="Publish release 1").click()
    assert page.title().startswith("Error: ")  # a few trusts' figures: refused without a reason
    page.get_by_label("Publish although some strike days are below the coverage threshold").check()
    page.get_by_label("Why publish figures that are incomplete?").fill("Browser test: a few trusts")
    page.get_by_role("button", name="Publish release 1").click()
    assert page.url.endswith(f"/reports/releases/{action.slug}/1/")
    assert "Release 1 of Junior doctors, April 2023 is published." in page.inner_text("main")
    assert_accessible(page)

    # Leicester corrects a figure after the deadline, with a reason.
    return_submit(action=action, trust=rwe, day=DAY1, user=ada, expected_version=1, now=local(2023, 4, 14, 9),
                  reason="Theatre list counted twice", figures={**FIGURES, "elective_rescheduled": 65})

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"/reports/releases/{action.slug}/1/")
    main = page.inner_text("main")
    assert "More than 7,200 appointments and procedures" in main  # release 1 is frozen
    assert "Theatre list counted twice" not in main
    assert_accessible(page)
    page.goto(f"/reports/actions/{action.slug}/")
    assert "/sign-in/" in page.url  # live figures are not public
    assert page.goto(f"/reports/releases/{action.slug}/2/").status == 404

    sign_in(page, nia.email)
    page.goto(f"/reports/actions/{action.slug}/publish/")
    page.get_by_label("Publish although some strike days are below the coverage threshold").check()
    page.get_by_label("Why publish figures that are incomplete?").fill("Browser test: a few trusts")
    page.get_by_role("button", name="Publish release 2").click()
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"/reports/releases/{action.slug}/2/")
    main = page.inner_text("main")
    assert "More than 7,100 appointments and procedures" in main
    assert "What changed since release 1" in main
    assert "Theatre list counted twice" in main
    assert_accessible(page)
    page.goto(f"/reports/releases/{action.slug}/1/")
    assert "More than 7,200 appointments and procedures" in page.inner_text("main")
