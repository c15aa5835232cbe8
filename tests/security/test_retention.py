"""Retention covers every campaign state (notices/services/delivery.py campaigns_purge_due): drafts
counted from the upload, scheduled campaigns from their sending time; the counts stay."""

from __future__ import annotations

import datetime as dt

import pytest

from notices.models import Campaign, CampaignStatus, Recipient
from notices.services import delivery as service
from notices.services.campaigns import campaign_start
from tests.notices.delivery_support import email_rows, make_campaign, use_fast_delivery
from trusts import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_delivery(settings):
    yield from use_fast_delivery(settings)


def _contact_details(campaign: Campaign) -> int:
    return Recipient.objects.filter(campaign=campaign, email__isnull=False).count()


def test_a_draft_is_purged_the_configured_days_after_its_upload(rwe, chris, fast_delivery) -> None:
    draft = make_campaign(rwe, chris, email_rows(3))
    uploaded = Campaign.objects.get(pk=draft.pk).created_at
    assert service.campaigns_purge_due(now=uploaded + dt.timedelta(days=6, hours=23)) == []
    assert _contact_details(draft) == 3
    assert service.campaigns_purge_due(now=uploaded + dt.timedelta(days=7)) == [draft.pk]
    draft.refresh_from_db()
    assert _contact_details(draft) == 0 and draft.purged_at is not None
    # It can no longer be sent, and its counts stay.
    assert draft.status == CampaignStatus.CANCELLED
    assert draft.recipient_count == 3 and Recipient.objects.filter(campaign=draft).count() == 3
    with pytest.raises(service.CampaignError):
        campaign_start(campaign=draft, user=chris)


def test_a_draft_left_for_400_days_holds_no_contact_details(rwe, chris, fast_delivery) -> None:
    draft = make_campaign(rwe, chris, email_rows(2))
    service.campaigns_purge_due(now=clock.now() + dt.timedelta(days=400))
    assert list(Recipient.objects.filter(campaign=draft).values_list(
        "email", "phone", "nhs_number", "address_lines", "personalisation").distinct()) == [(None,) * 5]


def test_a_scheduled_campaign_is_counted_from_its_sending_time(rwe, chris, fast_delivery) -> None:
    campaign = make_campaign(rwe, chris, email_rows(2))
    send_at = clock.now() + dt.timedelta(days=5)
    campaign_start(campaign=campaign, user=chris, send_at=send_at)
    assert service.campaigns_purge_due(now=clock.now() + dt.timedelta(days=8)) == []  # not sent yet
    assert service.campaigns_purge_due(now=send_at + dt.timedelta(days=7)) == [campaign.pk]
    assert _contact_details(campaign) == 0


def test_bounced_and_never_confirmed_subscriber_addresses_go_and_the_counts_stay(rwe, chris, settings) -> None:
    from django.utils import timezone

    from notices.models import NoticeVersion, OutboxStatus, SubscriberEmail, Subscription, SubscriptionStatus
    from notices.services.notices import notice_create, notice_publish
    from notices.services.subscriber_emails import subscriptions_purge_bounced

    settings.SUBSCRIBER_BOUNCED_RETENTION_DAYS = 7
    now = timezone.now()
    Subscription.objects.create(trust=rwe, email="never.confirmed@example.org")
    bounced = Subscription.objects.create(trust=rwe, email="bounced@example.org",
                                          status=SubscriptionStatus.CONFIRMED, confirmed_at=now)
    fine = Subscription.objects.create(trust=rwe, email="fine@example.org",
                                       status=SubscriptionStatus.CONFIRMED, confirmed_at=now)
    notice = notice_create(trust=rwe, user=chris, title="Visiting", body="Open.", what_to_do="Come.")
    notice_publish(notice=notice, user=chris)
    version = NoticeVersion.objects.filter(notice=notice).first()
    SubscriberEmail.objects.create(version=version, subscription=bounced, status=OutboxStatus.PERMANENT_FAILURE,
                                   failure_reason="The mail server refused the recipient (SMTP 550)")
    SubscriberEmail.objects.create(version=version, subscription=fine, status=OutboxStatus.SENT)

    assert subscriptions_purge_bounced(now=now + dt.timedelta(days=6)) == {"pending_deleted": 0, "bounced_ended": 0}
    assert subscriptions_purge_bounced(now=now + dt.timedelta(days=8)) == {"pending_deleted": 1, "bounced_ended": 1}
    emails = set(Subscription.objects.values_list("email", flat=True))
    assert emails == {"fine@example.org", f"bounced-{bounced.pk}@purged.invalid"}
    assert SubscriberEmail.objects.filter(version=version).count() == 2  # the counts stay


def test_celery_results_hold_no_personal_data(settings) -> None:
    """Task arguments are not kept with results (result_extended off), and the tasks that take an
    address keep no result at all."""
    from strikeops.celery import app
    from trusts.tasks import send_account_notice, send_password_reset

    assert not app.conf.result_extended and not getattr(settings, "CELERY_RESULT_EXTENDED", False)
    assert send_password_reset.ignore_result and send_account_notice.ignore_result
