"""A patient follows the opt-out link at the end of a campaign message: the page asks, the button (a
plain form POST, no script) stops the trust's messages, and the next campaign's check page counts
them as skipped. axe-core on each page."""

from __future__ import annotations

import pytest

from notices.models import MessagingOptOut
from notices.services.delivery import render_message
from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.notices.delivery_support import make_campaign, make_template, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_opts_out_and_the_next_list_shows_the_skip(
        browser, page, live_server, chris, rwe, settings) -> None:
    settings.SITE_URL = live_server.url
    campaign = make_campaign(rwe, chris, [row(2, email="pat@example.com", nhs_number="9434765919")])
    campaign.figures = {"trust_name": rwe.name}
    body = render_message(campaign, campaign.recipients.get()).body
    link = body.rsplit(" ", 1)[1]
    assert link.startswith(f"{live_server.url}/messages/stop/")

    page.goto(link)
    assert loaded(page).get_by_role("heading", level=1).inner_text() == f"Stop messages from {rwe.name}"
    assert "pat@example.com" not in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("button", name="Stop messages").click()
    assert loaded(page).get_by_role("heading", level=1).inner_text() == "You will not get more messages"
    assert_accessible(page)
    assert MessagingOptOut.objects.filter(trust=rwe).count() == 2  # email and NHS number

    # The next list with the same NHS number, by text message: the check page says it will be skipped.
    sms = make_campaign(rwe, chris, [row(2, phone="07911123456", nhs_number="9434765919"),
                                     row(3, phone="07911123457")], channel="sms",
                        template=make_template(rwe, "sms", name="Second apology"))
    staff = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    sign_in(staff, chris.email)
    staff.goto(f"/messages/RWE/campaigns/{sms.pk}/")
    assert (f"1 recipient on this list has opted out of messages from {rwe.name} and will be skipped."
            in " ".join(loaded(staff).inner_text("main").split()))
    assert_accessible(staff)
