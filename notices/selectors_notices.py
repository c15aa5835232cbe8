"""Reads for public notices: what the public may see, scoped before anything else."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from notices.models import Notice, NoticeStatus


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
