"""Reads for public notices: what the public may see, scoped before anything else."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from notices.models import Campaign, CampaignStatus, Notice, NoticeStatus
from trusts.models import Trust


def public_notices() -> QuerySet[Notice]:
    """Published notices, newest first: the lists (withdrawn ones leave them; the feeds keep them, see
    feed_notices)."""
    return (Notice.objects.filter(status=NoticeStatus.PUBLISHED)
            .select_related("trust__icb__region", "current_version", "action")
            .order_by("-published_at", "-pk"))


def feed_notices() -> QuerySet[Notice]:
    """Published and withdrawn notices, newest first: the feeds. A withdrawn notice stays in the feeds,
    marked withdrawn with the time it was withdrawn as its update, so that a feed reader that showed it
    learns that it no longer stands (an entry that just disappears tells a reader nothing)."""
    return (Notice.objects.filter(status__in=[NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN])
            .select_related("trust__icb__region", "current_version", "action")
            .order_by("-published_at", "-pk"))


def public_notice_or_404(ods_code: str, slug: str) -> Notice:
    """A published or withdrawn notice (a withdrawn one still answers at its address, with the reason);
    drafts do not exist for the public."""
    notice = (Notice.objects.filter(status__in=[NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN],
                                    trust__ods_code=ods_code.upper(), slug=slug)
              .select_related("trust__icb__region", "current_version", "action").first())
    if notice is None:
        raise Http404("No such notice.")
    return notice


def comms_home(trusts: QuerySet[Trust]) -> dict[str, list[Any]]:
    """What a communications officer's home page lists for their trusts: draft notices, scheduled
    campaigns and published notices (three queries)."""
    notices = Notice.objects.filter(trust__in=trusts.values("pk")).select_related("trust", "action")
    return {
        "drafts": list(notices.filter(status=NoticeStatus.DRAFT).order_by("-created_at")),
        "published": list(notices.filter(status=NoticeStatus.PUBLISHED).order_by("-published_at")[:10]),
        "scheduled": list(Campaign.objects.filter(trust__in=trusts.values("pk"), status=CampaignStatus.SCHEDULED)
                          .select_related("trust", "action", "template").order_by("scheduled_for")),
    }
