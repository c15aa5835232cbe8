"""Campaign delivery, the read side: progress, failures and the outcomes export.

Each aggregate is one grouped query (`.values().annotate().order_by()`); the export streams.
Nothing here returns contact details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from notices.models import Campaign, Delivery, DeliveryStatus
from outbox.models import FAILURE_STATUSES, PENDING_STATUSES, SUCCESS_STATUSES
from strikeops.cache import cached_or_computed
from trusts import clock

# Every open campaign page polls its progress; at 1M deliveries the grouped count takes ~100 ms, so
# pages and the API share one figure per campaign for this long (the services use the exact one).
PROGRESS_CACHE_SECONDS = 2


def progress_summary(counts: dict[str, int]) -> dict[str, Any]:
    """Counts by status (every status, zeros included) with total, pending, done, succeeded, failed,
    cancelled and percent done: the summary the pages, the JSON endpoint and the API share."""
    counts = {status: counts.get(status, 0) for status in DeliveryStatus.values}
    total = sum(counts.values())
    pending = sum(counts[s] for s in PENDING_STATUSES)
    done = total - pending
    return {
        "counts": counts,
        "total": total,
        "pending": pending,
        "done": done,
        "succeeded": sum(counts[s] for s in SUCCESS_STATUSES),
        "failed": sum(counts[s] for s in FAILURE_STATUSES),
        "cancelled": counts[DeliveryStatus.CANCELLED],
        # Whole percent, rounded down: 100 only when nothing is left to do.
        "percent": (done * 100 // total) if total else 0,
    }


def stalled_after_seconds() -> int:
    """A claim older than the longest send (plus a margin) belongs to a worker that stopped."""
    return max(settings.NOTIFY_TIMEOUT, settings.EMAIL_TIMEOUT) + 5


def campaign_progress(campaign: Campaign | int) -> dict[str, Any]:
    """Counts of the campaign's deliveries by status (every status present, zeros included), with
    total, pending, done, succeeded (sent + delivered), failed (temporary + permanent), cancelled and
    percent done; and what is happening: `stalled` (claimed by a worker that stopped, or released from
    one and waiting to be resolved), `retrying` (waiting after a temporary failure) and
    `possibly_duplicated`. One grouped query."""
    campaign_id = campaign.pk if isinstance(campaign, Campaign) else campaign
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    stalled = retrying = duplicated = 0
    cutoff = clock.now() - dt.timedelta(seconds=stalled_after_seconds())
    for row in (Delivery.objects.filter(campaign_id=campaign_id).values("status", "outcome_unknown")
                .annotate(n=Count("pk"), old_claims=Count("pk", filter=Q(claimed_at__lt=cutoff)),
                          duplicated=Count("pk", filter=Q(possibly_duplicated=True))).order_by()):
        counts[row["status"]] += row["n"]
        duplicated += row["duplicated"]
        if row["status"] == DeliveryStatus.SENDING:
            stalled += row["old_claims"]
        elif row["status"] == DeliveryStatus.AWAITING_RETRY:
            if row["outcome_unknown"]:
                stalled += row["n"]
            else:
                retrying += row["n"]
    return {**progress_summary(counts), "stalled": stalled, "retrying": retrying, "possibly_duplicated": duplicated}


def _progress_key(campaign_id: int) -> str:
    return f"campaign:progress:{campaign_id}"


def campaign_progress_shared(campaign: Campaign | int) -> dict[str, Any]:
    """campaign_progress, at most PROGRESS_CACHE_SECONDS old, computed once for every reader."""
    campaign_id = campaign.pk if isinstance(campaign, Campaign) else campaign
    return cached_or_computed(_progress_key(campaign_id), PROGRESS_CACHE_SECONDS,
                              lambda: campaign_progress(campaign_id))


def campaign_progress_shared_many(campaigns: Iterable[Campaign]) -> dict[int, dict[str, Any]]:
    """campaign_progress_shared for each of a list of campaigns (a page of them)."""
    return {campaign.pk: campaign_progress_shared(campaign) for campaign in campaigns}


OUTCOME_HEADER = ["line", "status", "attempts", "failure reason", "sent at", "completed at"]


def deliveries_outcomes_csv(campaign: Campaign | int) -> Iterator[list[str]]:
    """Rows for a CSV of outcomes (header first), one per recipient in line order: no email, phone,
    address, NHS number or personalisation, purged or not. Streams from the database in chunks."""
    campaign_id = campaign.pk if isinstance(campaign, Campaign) else campaign
    labels = dict(DeliveryStatus.choices)
    yield OUTCOME_HEADER
    rows = (Delivery.objects.filter(campaign_id=campaign_id).order_by("recipient__line")
            .values_list("recipient__line", "status", "attempts", "failure_reason", "sent_at", "completed_at")
            .iterator(chunk_size=2000))
    for line, status, attempts, reason, sent_at, completed_at in rows:
        yield [str(line), labels.get(status, status), str(attempts), reason,
               sent_at.isoformat() if sent_at else "", completed_at.isoformat() if completed_at else ""]
