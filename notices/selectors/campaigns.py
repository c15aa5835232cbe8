"""Reads for the campaign pages: counts per campaign and the reconciliation of returns with messages.

One grouped query per aggregate (`.values().annotate().order_by()`), never a query per campaign.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q

from notices.figures import trust_action_figures
from notices.models.campaigns import Campaign, CampaignStatus, Delivery, DeliveryStatus, MessagingOptOut, Recipient
from notices.models.templates import Channel
from outbox.models import FAILURE_STATUSES, PENDING_STATUSES, SUCCESS_STATUSES
from trusts.models import IndustrialAction, Trust


def campaign_opted_out_count(campaign: Campaign) -> int:
    """How many of the campaign's recipients have opted out of its trust's messages (by any of their
    contact details) and will be skipped. Two queries: the trust's opt-outs (few), then the
    recipients' stored keys, streamed, only when there is any opt-out to match."""
    opted_out = {f"{kind}:{value_hash}" for kind, value_hash in MessagingOptOut.objects.filter(
        Q(trust_id=campaign.trust_id) | Q(trust__isnull=True)).values_list("kind", "value_hash")}
    if not opted_out:
        return 0
    return sum(1 for keys in Recipient.objects.filter(campaign=campaign).values_list("opt_out_keys", flat=True)
               .iterator(chunk_size=2000) if opted_out.intersection(keys or ()))


def delivery_counts(campaigns: Iterable[Campaign]) -> dict[int, dict[str, int]]:
    """{campaign id: {delivery status: count}} for many campaigns in one grouped query."""
    ids = [c.pk for c in campaigns]
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (Delivery.objects.filter(campaign_id__in=ids).values("campaign_id", "status")
            .annotate(n=Count("id")).order_by())
    for row in rows:
        counts[row["campaign_id"]][row["status"]] = row["n"]
    return counts


def _figure(value: object) -> int:
    # trust_action_figures formats numbers for placeholders ("1,234"); the table needs them as numbers.
    return int(str(value).replace(",", "") or 0)


@dataclass
class ChannelRow:
    channel: str
    label: str
    listed: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0


@dataclass
class Reconciliation:
    appointments_rescheduled: int
    procedures_rescheduled: int
    by_channel: list[ChannelRow] = field(default_factory=list)

    @property
    def rescheduled(self) -> int:
        return self.appointments_rescheduled + self.procedures_rescheduled

    @property
    def listed(self) -> int:
        return sum(r.listed for r in self.by_channel)

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.by_channel)

    @property
    def delivered(self) -> int:
        return sum(r.delivered for r in self.by_channel)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.by_channel)

    @property
    def pending(self) -> int:
        return sum(r.pending for r in self.by_channel)

    @property
    def not_yet_told(self) -> int:
        """Rescheduled appointments and procedures with no message sent yet (never below 0: a patient
        may get a text and an email, and one patient may have had several appointments moved)."""
        return max(self.rescheduled - self.sent, 0)


def action_reconciliation(trust: Trust, action: IndustrialAction) -> Reconciliation:
    """What the trust reported rescheduling beside what it has told patients, for one action."""
    figures = trust_action_figures(trust, action)
    result = Reconciliation(appointments_rescheduled=_figure(figures["appointments_rescheduled"]),
                            procedures_rescheduled=_figure(figures["procedures_rescheduled"]))
    rows: dict[str, ChannelRow] = {c.value: ChannelRow(c.value, c.label) for c in Channel}
    grouped = (Delivery.objects.filter(campaign__trust=trust, campaign__action=action)
               .exclude(campaign__status=CampaignStatus.DRAFT)
               .values("campaign__channel", "status").annotate(n=Count("id")).order_by())
    for item in grouped:
        row = rows[item["campaign__channel"]]
        status, n = item["status"], item["n"]
        if status == DeliveryStatus.CANCELLED:
            continue
        row.listed += n
        if status in SUCCESS_STATUSES:
            row.sent += n
        if status == DeliveryStatus.DELIVERED:
            row.delivered += n
        if status in FAILURE_STATUSES:
            row.failed += n
        if status in PENDING_STATUSES:
            row.pending += n
    result.by_channel = list(rows.values())
    return result
