"""The Leicester communications officer messages patients: a list with two bad rows is refused with
its errors, the fixed list is checked and sent, and the progress bar reaches 100%. No axe violations."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from notices.models import Campaign, CampaignStatus, DeliveryStatus
from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.factories import make_action, make_return

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "phone number,name,appointment date,appointment reference\n"
BAD = (HEADER + "07911 123456,Ann Jones,12 April 2023,RWE-001\n"
       "0116 258 5000,Bob Smith,13 April 2023,RWE-002\n"
       "07911 123458,Cy Patel,,RWE-003\n")
FIXED = (HEADER + "07911 123456,Ann Jones,12 April 2023,RWE-001\n"
         "07911 123457,Bob Smith,13 April 2023,RWE-002\n"
         "07911 123458,Cy Patel,13 April 2023,RWE-003\n")


@pytest.fixture
def leicester_april(rwe, settings):
    # The development channel: logs a line per message, sends nothing. Tasks run in-process.
    settings.DELIVERY_CHANNELS = {"email": "log", "sms": "log", "letter": "log"}
    settings.DELIVERY_REDIS_URL = settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    importlib.import_module("notices.migrations.0002_default_apology_templates").add_defaults(apps, None)
    importlib.import_module("notices.migrations.0003_template_recipient_columns").declare_default_columns(apps, None)
    action = make_action(affected=["RWE"])
    make_return(action, rwe, dt.date(2023, 4, 11), elective_rescheduled=40, outpatient_rescheduled=500,
                community_rescheduled=10, mental_health_rescheduled=3, staff_absent=650, staff_due=1200)
    return action


def upload(page, text: str) -> None:
    page.get_by_label("Upload your recipient list").set_input_files(
        {"name": "patients.csv", "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_role("button", name="Upload and check the file").click()


def test_chris_fixes_a_bad_list_sends_it_and_watches_it_finish(page, chris, leicester_april) -> None:
    sign_in(page, chris.email)
    page.get_by_role("link", name="Messages").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Messages to patients"
    assert_accessible(page)

    page.get_by_role("link", name="Send messages").click()
    page.get_by_label("Apology for rescheduled care (text message), default template").check()
    page.get_by_label("Industrial action").select_option(leicester_april.slug)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Upload your recipient list"
    upload(page, BAD)
    assert loaded(page).title().startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary").inner_text()
    assert "The selected file has 2 errors" in summary
    assert "Line 3, column 'phone number': Phone number must be a UK mobile number" in summary
    assert "Line 4, column 'appointment date': Enter the appointment date" in summary
    assert page.locator("#file-errors tbody tr").count() == 2
    assert not Campaign.objects.exists()
    assert_accessible(page)

    upload(page, FIXED)
    assert page.get_by_role("heading", level=1).inner_text() == "Check the messages before sending"
    main = page.inner_text("main")
    assert "It has 3 recipients" in main
    assert "Ann Jones" in main and "University Hospitals of Leicester NHS Trust" in main
    assert_accessible(page)

    page.get_by_label("Now").check()
    page.get_by_role("button", name="Send messages").click()

    progress = page.locator("progress#campaign-progress-bar")
    progress.wait_for()
    # Tasks run in-process here, so the campaign has finished by the time the page is drawn; the
    # script keeps polling the JSON endpoint and must agree.
    page.wait_for_function("document.querySelector('progress#campaign-progress-bar').value === 100")
    assert page.locator("[data-progress-percent]").inner_text() == "100%"
    assert page.locator("[data-campaign-status]").inner_text() == "Finished"
    assert page.locator("[data-count='delivered']").inner_text() == "3"
    assert_accessible(page)

    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.SENT
    assert set(campaign.deliveries.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_chris_copies_the_default_apology_and_previews_it_without_javascript_help(page, chris,
                                                                                  leicester_april) -> None:
    sign_in(page, chris.email)
    page.goto("/messages/RWE/templates/")
    assert_accessible(page)
    page.get_by_role("link", name="Apology for rescheduled care (text message)").click()
    assert "rescheduled because of Junior doctors, April 2023" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("button", name="Make a copy to change").click()
    body = page.get_by_label("Message")
    body.fill(body.input_value() + " Reply STOP to opt out \u2019")
    page.get_by_role("button", name="Preview").click()
    preview = page.inner_text("#sms-length")
    assert "text messages" in preview
    assert "each text message can hold only 70 characters" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_label("Message").fill("Dear ((nmae))")
    page.get_by_role("button", name="Save template").click()
    assert loaded(page).title().startswith("Error: ")
    assert "((nmae)) is not a placeholder we know" in page.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(page)
