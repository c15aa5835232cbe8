"""A national manager declares an action with two walkout windows on the web, without JavaScript help."""

import pytest

from tests.browser.conftest import assert_accessible, loaded, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_window(page, number: int, start: tuple[str, str, str, str], end: tuple[str, str, str, str]) -> None:
    prefix = f"#id_windows-{number - 1}"
    for side, (day, month, year, time) in (("start", start), ("end", end)):
        page.fill(f"{prefix}-{side}_date-day", day)
        page.fill(f"{prefix}-{side}_date-month", month)
        page.fill(f"{prefix}-{side}_date-year", year)
        page.fill(f"{prefix}-{side}_time", time)


def test_nia_declares_an_action_with_two_windows_and_sees_its_strike_days(page, nia) -> None:
    sign_in(page, nia.email)
    page.get_by_role("link", name="Actions").click()
    assert_accessible(page)
    page.get_by_role("button", name="Declare an industrial action").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Declare an industrial action"
    assert_accessible(page)

    page.get_by_label("Name", exact=True).fill("Nurses, December 2022")
    page.get_by_label("Slug").fill("nurses-december-2022")
    page.get_by_label("Nurses").check()
    page.get_by_label("Royal College of Nursing (RCN)").check()
    page.get_by_label("Affected trusts (optional)").fill("RWE RX1 ZZZ9")
    fill_window(page, 1, ("15", "12", "2022", "08:00"), ("15", "12", "2022", "20:00"))
    fill_window(page, 2, ("20", "12", "2022", "08:00"), ("20", "12", "2022", "20:00"))
    page.get_by_role("button", name="Declare action").click()

    # An unknown ODS code: the error is in the summary, linked to the field, and nothing is saved.
    assert loaded(page).title().startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary")
    assert "No trust has the ODS code ZZZ9" in summary.inner_text()
    assert_accessible(page)
    summary.get_by_role("link", name="No trust has the ODS code ZZZ9").click()
    assert page.evaluate("document.activeElement.id") == "id_affected"
    page.get_by_label("Affected trusts (optional)").fill("RWE RX1")
    page.get_by_role("button", name="Declare action").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Nurses, December 2022"
    main = page.inner_text("main")
    assert "Nurses, December 2022 created: 2 strike days." in main
    assert "Thursday 15 December 2022" in main and "Tuesday 20 December 2022" in main
    assert "University Hospitals of Leicester NHS Trust (RWE)" in main
    table = page.get_by_role("table", name="Strike days of Nurses, December 2022, with return deadlines (UK time)")
    assert table.locator("tbody tr").count() == 2
    assert_accessible(page)
