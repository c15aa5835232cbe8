"""The issue's acceptance journey: Leicester's administrator submits the return for 12 April 2023 with
staff absent above staff due (error shown and linked in the summary), fixes it, checks the answers,
submits, sees the confirmation, then revises it with a reason and sees the history. Axe on each page."""

import pytest

from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.factories import local, make_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leicester_submits_fixes_checks_confirms_and_revises_12_april(page, ada, monkeypatch) -> None:
    make_action(affected=["RWE", "RX1"])
    # The evening of the strike day: the return is open and not yet due (11am on 13 April).
    monkeypatch.setattr("trusts.clock.now", lambda: local(2023, 4, 12, 18))
    sign_in(page, ada.email)

    page.get_by_role("link", name="Returns", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Daily returns"
    assert_accessible(page)
    page.get_by_role("link", name="Enter return for 12 April 2023, Junior doctors, April 2023").click()
    assert_accessible(page)

    page.get_by_label("Staff absent").fill("1,300")
    page.get_by_label("Staff due to work").fill("1,200")
    page.get_by_label("Elective procedures rescheduled").fill("40")
    page.get_by_label("Outpatient appointments rescheduled").fill("500")
    page.get_by_label("Community appointments rescheduled").fill("10")
    page.get_by_label("Mental health and learning disability appointments rescheduled").fill("0")
    page.get_by_role("button", name="Continue").click()

    assert loaded(page).title().startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary")
    message = "Staff absent must be the same as or fewer than staff due to work (1,200)"
    assert message in summary.inner_text()
    assert page.locator("#id_staff_absent-error").inner_text().endswith(message)
    assert_accessible(page)
    summary.get_by_role("link", name=message).click()
    assert page.evaluate("document.activeElement.id") == "id_staff_absent"
    page.keyboard.press("Control+A")
    page.keyboard.type("700")
    page.get_by_role("button", name="Continue").click()

    assert page.get_by_role("heading", level=1).inner_text().startswith("Check your answers")
    assert "700" in page.locator(".nhsuk-summary-list").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Submit the return").click()

    assert page.locator(".nhsuk-panel__heading").inner_text() == "Return submitted"
    assert_accessible(page)

    # The next morning, after the deadline: a change needs a reason, and shows in the history.
    monkeypatch.setattr("trusts.clock.now", lambda: local(2023, 4, 13, 14))
    page.get_by_role("link", name="View the return and its history").click()
    assert_accessible(page)
    page.get_by_role("link", name="Change this return").click()
    page.get_by_label("Staff absent").fill("720")
    page.get_by_label("Reason for the change").fill("The night shift was counted late")
    page.get_by_role("button", name="Continue").click()
    assert "The night shift was counted late" in page.locator(".nhsuk-summary-list").inner_text()
    page.get_by_role("button", name="Submit the return").click()
    page.get_by_role("link", name="View the return and its history").click()

    history = page.get_by_role("table", name="Changes after the first submission, newest first")
    text = history.inner_text()
    assert "Staff absent: 700 to 720" in text
    assert "The night shift was counted late" in text
    assert ada.email in text
    assert_accessible(page)
