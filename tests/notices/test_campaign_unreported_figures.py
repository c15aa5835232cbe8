"""A campaign whose message uses a trust figure the trust has not reported cannot be sent: the check page
says so (and offers no send button), the service refuses at send time and when scheduling, and a scheduled
campaign whose figures are gone goes back to a draft instead of telling patients "0 appointments"."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from notices.models import Campaign, CampaignStatus, Channel, DeliveryStatus, MessageTemplate
from notices.services.campaigns import campaign_start
from notices.services.delivery import CampaignError, campaign_create, campaigns_start_due
from tests.factories import make_action, make_return
from trusts import clock
from trusts.models import AuditEvent, DailyReturn, ReturnStatus

pytestmark = pytest.mark.django_db

MISSING = "Your trust has no figure yet for ((appointments_rescheduled)) for Junior doctors, April 2023"


@pytest.fixture
def action(db):
    return make_action(affected=["RWE"])


@pytest.fixture
def apology(rwe) -> MessageTemplate:
    return MessageTemplate.objects.create(
        trust=rwe, name="Apology", channel=Channel.EMAIL, subject="Your appointment at ((trust_name))",
        body="Dear ((name)), during ((action_name)) we rescheduled ((appointments_rescheduled)) appointments.",
        recipient_columns=["name"])


def draft(rwe, template, action, user) -> Campaign:
    # Straight to the service, as if the returns had existed at upload and been withdrawn since.
    return campaign_create(trust=rwe, template=template, action=action, channel=template.channel, user=user,
                           rows=[{"line": 2, "email": "ann@example.com", "personalisation": {"name": "Ann"}}])


def text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def test_the_check_page_says_the_figure_is_not_reported_and_offers_no_send_button(
        client, chris, rwe, apology, action) -> None:
    campaign = draft(rwe, apology, action, chris)
    client.force_login(chris)
    page = text(client.get(reverse("campaigns:campaign", args=["RWE", campaign.pk])))
    assert page.count(MISSING) == 2  # the error summary and the warning beside the messages
    assert "<title>Error: " in page
    assert "These messages cannot be sent yet" in page
    assert "we rescheduled ((appointments_rescheduled)) appointments" in page
    assert "rescheduled 0 appointments" not in page
    assert 'name="when"' not in page  # no send form


def test_posting_send_anyway_sends_nothing(client, chris, rwe, apology, action,
                                           django_capture_on_commit_callbacks) -> None:
    campaign = draft(rwe, apology, action, chris)
    client.force_login(chris)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:campaign", args=["RWE", campaign.pk]), {"when": "now"})
    assert response.status_code == 200 and MISSING in text(response)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert set(campaign.deliveries.values_list("status", flat=True)) == {DeliveryStatus.QUEUED}


def test_the_service_refuses_at_send_time_and_when_scheduling(chris, rwe, apology, action) -> None:
    campaign = draft(rwe, apology, action, chris)
    with pytest.raises(CampaignError, match=r"no figure yet for \(\(appointments_rescheduled\)\)"):
        campaign_start(campaign=campaign, user=chris)
    with pytest.raises(CampaignError, match="no figure yet"):
        campaign_start(campaign=campaign, user=chris, send_at=clock.now() + dt.timedelta(days=1))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and campaign.figures in ({}, None)


def test_a_nil_return_is_a_figure_and_the_message_says_0(client, chris, rwe, apology, action,
                                                          django_capture_on_commit_callbacks) -> None:
    make_return(action, rwe, dt.date(2023, 4, 11))  # 0, confirmed
    campaign = draft(rwe, apology, action, chris)
    client.force_login(chris)
    page = text(client.get(reverse("campaigns:campaign", args=["RWE", campaign.pk])))
    assert MISSING not in page and "we rescheduled 0 appointments" in page
    campaign_start(campaign=campaign, user=chris)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert campaign.figures["appointments_rescheduled"] == "0"


def test_a_scheduled_campaign_whose_figures_are_gone_goes_back_to_draft(chris, rwe, apology, action) -> None:
    submitted = make_return(action, rwe, dt.date(2023, 4, 11), outpatient_rescheduled=120)
    campaign = draft(rwe, apology, action, chris)
    campaign_start(campaign=campaign, user=chris, send_at=clock.now() + dt.timedelta(hours=1))
    DailyReturn.objects.filter(pk=submitted.pk).update(status=ReturnStatus.DRAFT)
    assert campaigns_start_due(now=clock.now() + dt.timedelta(hours=2)) == []
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_for) == (CampaignStatus.DRAFT, None)
    event = AuditEvent.objects.get(event="campaign.not_sent")
    assert "no figure yet for ((appointments_rescheduled))" in event.summary


def test_the_start_page_refuses_the_default_apology_for_a_trust_with_no_returns(client, chris, action) -> None:
    default = MessageTemplate.objects.filter(trust=None, channel=Channel.EMAIL).order_by("pk").first()
    assert default is not None
    client.force_login(chris)
    response = client.post(reverse("campaigns:new", args=["RWE"]), {"template": default.pk, "action": action.slug})
    page = text(response)
    assert "Your trust has no figure yet for" in page
    assert not Campaign.objects.exists()
