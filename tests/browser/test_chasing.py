"""A regional manager chases a trust from the missing-returns page and reads the reminder log, without
JavaScript help; the trust's administrator reads its own log. axe-core on each page."""

import pytest
from django.core import mail

from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.factories import local, make_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_morgan_sends_a_reminder_now_and_ada_sees_it_in_her_trusts_log(browser, live_server, morgan, ada) -> None:
    action = make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    sign_in(page, morgan.email)
    page.goto(f"/actions/{action.slug}/missing/")
    assert_accessible(page)
    rx1 = page.get_by_role("row").filter(has_text="(RX1)")
    assert "No contact" in rx1.inner_text()
    page.get_by_role("button", name="Send a reminder now to University Hospitals of Leicester NHS Trust").click()
    assert "Reminder sent to University Hospitals of Leicester NHS Trust: ada@rwe.example" in loaded(page).content()
    assert_accessible(page)
    assert len([m for m in mail.outbox if ada.email in m.to]) == 1
    page.get_by_role("link", name="Reminder log: who was reminded, when and by whom").click()
    assert "morgan@midlands.example" in loaded(page).locator("#reminder-log").inner_text()
    assert_accessible(page)
    context.close()

    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    sign_in(page, ada.email)
    page.goto("/trusts/RWE/")
    page.get_by_role("link", name="Reminders about returns: who was reminded, when and by whom").click()
    assert "morgan@midlands.example" in loaded(page).locator("#reminder-log").inner_text()
    assert_accessible(page)
    context.close()
