"""The Leicester communications officer publishes the apology with RWE's own figures; an anonymous
visitor reads it and its feed. Every page is checked with axe-core."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.factories import make_action, make_return

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ATOM = "{http://www.w3.org/2005/Atom}"


def test_chris_publishes_the_apology_and_a_visitor_reads_it_and_its_feed(page, chris, rwe) -> None:
    action = make_action(affected=["RWE"])
    for day, elective, outpatient, absent in [(11, 40, 520, 650), (12, 45, 573, 712), (13, 40, 520, 690),
                                              (14, 40, 520, 640)]:
        make_return(action, rwe, dt.date(2023, 4, day), elective_rescheduled=elective,
                    outpatient_rescheduled=outpatient, staff_absent=absent, staff_due=1400)

    sign_in(page, chris.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Notices").click()
    page.get_by_role("link", name="Manage your trust's notices").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Manage notices"
    assert_accessible(page)

    page.get_by_role("button", name="Write a notice from the apology template").click()
    assert page.get_by_label("Industrial action").input_value() == action.slug
    assert "We apologise to anyone whose care" in page.get_by_label("Notice", exact=True).input_value()
    assert_accessible(page)
    page.get_by_role("button", name="Preview with your figures").click()
    preview = page.locator(".app-notice-preview").inner_text()
    assert "2,133 appointments and 165 planned procedures" in preview
    assert "712 of our staff" in preview
    assert_accessible(page)

    page.get_by_role("button", name="Save draft").click()
    assert "Draft" in page.locator(".nhsuk-summary-list").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Publish notice").click()
    assert "Notice published" in page.inner_text("main")
    assert "Published" in page.locator(".nhsuk-summary-list").inner_text()

    # A patient, not signed in.
    page.context.clear_cookies()
    page.goto("/notices/")
    assert_accessible(page)
    page.get_by_role("link", name="Industrial action 11 to 14 April 2023: our apology to patients").click()
    main = page.inner_text("main")
    assert "We apologise to anyone whose care has been disrupted during this period" in main
    assert "2,133 appointments and 165 planned procedures" in main
    assert "call 999 or go to A&E" in main
    assert_accessible(page)

    page.get_by_role("link", name=f"All notices from {rwe.name}, and get them by email").click()
    page.get_by_role("button", name="Subscribe").click()
    assert loaded(page).title().startswith("Error: ")
    assert "Enter your email address" in page.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(page)

    feed_href = page.get_by_role("link", name="Follow with a feed reader (Atom feed)").get_attribute("href")
    response = page.request.get(feed_href)
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.body())  # noqa: S314 (our own feed)
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Industrial action 11 to 14 April 2023: our apology to patients"
    assert "2,133 appointments" in (entry.findtext(f"{ATOM}summary") or "")
