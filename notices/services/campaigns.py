"""Starting a campaign from its page: now, or at a time up to 7 days ahead.

The one campaign write that queues work, so it sits above the tasks (notices/tasks.py), which run
the rest of delivery (notices/services/delivery.py); a scheduled campaign is started by the recovery
task when its time comes (delivery.campaigns_start_due)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from notices.models import Campaign, CampaignStatus
from notices.models.campaigns import MAX_SCHEDULE_DAYS
from notices.services.delivery import CampaignError, campaign_begin_sending, campaign_figure_errors
from notices.tasks import campaign_fan_out
from trusts import clock
from trusts.dates import formatted
from trusts.services.audit import audit_record


def campaign_start(*, campaign: Campaign, user: Any, send_at: dt.datetime | None = None,
                   request: Any = None) -> Campaign:
    """Send now (send_at None) or at send_at, up to 7 days ahead. A scheduled campaign can be started
    now or scheduled again. The fan-out is queued only after the transaction commits."""
    now = clock.now()
    with transaction.atomic():
        campaign = (Campaign.objects.select_for_update(of=("self",)).select_related("trust", "action")
                    .get(pk=campaign.pk))
        if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            raise CampaignError(f"This campaign cannot be sent: it is {campaign.get_status_display().lower()}")
        problems = campaign_figure_errors(campaign)
        if problems:
            raise CampaignError(problems[0])
        if send_at is not None:
            if send_at <= now:
                raise CampaignError("The time to send must be in the future")
            if send_at > now + dt.timedelta(days=MAX_SCHEDULE_DAYS):
                raise CampaignError(f"The time to send must be within {MAX_SCHEDULE_DAYS} days")
            campaign.status = CampaignStatus.SCHEDULED
            campaign.scheduled_for = send_at
            campaign.save(update_fields=["status", "scheduled_for"])
            audit_record(event="campaign.scheduled", actor=user, trust=campaign.trust, target=campaign,
                         request=request, summary=f"Campaign scheduled for {formatted(send_at, 'date_time')}",
                         details={"scheduled_for": send_at.isoformat(), "recipients": campaign.recipient_count})
        else:
            campaign_begin_sending(campaign, now)
            audit_record(event="campaign.started", actor=user, trust=campaign.trust, target=campaign,
                         request=request, summary=f"Campaign sending to {campaign.recipient_count:,} recipients",
                         details={"recipients": campaign.recipient_count})
            campaign_fan_out.delay_on_commit(campaign.pk)
    return campaign
