"""The campaign page polls its progress less while nothing changes (issue 15): 2 s, then 4 s, then
8 s... up to 30 s, in a real browser against the real JSON endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from notices.models import Campaign, CampaignStatus
from tests.browser.conftest import sign_in
from tests.notices.delivery_support import make_campaign, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_polling_backs_off_while_the_figures_stand_still(page, rwe, chris) -> None:
    campaign = make_campaign(rwe, chris, [row(1, email="a@example.org"), row(2, email="b@example.org")])
    # Sending, but no worker is running here: the figures never move.
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, started_at=dt.datetime.now(dt.UTC))
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "progress.json" in request.url else None)
    sign_in(page, chris.email)
    page.goto(f"/messages/{rwe.ods_code}/campaigns/{campaign.pk}/")
    root = page.locator("[data-module='app-campaign-progress']")
    expect(root).to_have_attribute("data-poll-delay", "2000", timeout=5000)
    expect(root).to_have_attribute("data-poll-delay", "4000", timeout=5000)
    expect(root).to_have_attribute("data-poll-delay", "8000", timeout=8000)
    assert len(polls) == 3  # at 0, 2 and 6 seconds: not every 2 seconds
