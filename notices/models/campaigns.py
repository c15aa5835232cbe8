"""Campaigns: one message template sent to a list of patients, one Delivery row per patient.

Every message is a row before anything is sent (the outbox pattern): a Delivery is created with its
Recipient in the transaction that creates the campaign, and a worker only ever sends a delivery it
has claimed by moving it from queued (or awaiting_retry) to sending with a conditional UPDATE. See
docs/delivery.md for the guarantees this gives.

Contact details (email, phone, address, NHS number, personalisation) are on Recipient only and are
all nullable, so that the retention purge can blank them while the counts and statuses stay.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from notices.models.templates import Channel
from outbox.models import (  # noqa: F401  (re-exported: deliveries' statuses)
    CLAIMABLE_STATUSES,
    FAILURE_STATUSES,
    PENDING_STATUSES,
    SUCCESS_STATUSES,
    OutboxMessage,
    OutboxStatus,
)

MAX_SCHEDULE_DAYS = 7
DEFAULT_PURGE_AFTER_DAYS = 7


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Finished"
    CANCELLED = "cancelled", "Cancelled"


class Campaign(models.Model):
    trust = models.ForeignKey("trusts.Trust", on_delete=models.PROTECT, related_name="campaigns")
    action = models.ForeignKey("trusts.IndustrialAction", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="campaigns")
    template = models.ForeignKey("notices.MessageTemplate", on_delete=models.PROTECT, related_name="campaigns")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The template's text when the campaign was created: editing the template later does not change
    # what this campaign's patients receive halfway through.
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # The trust's figures for ((trust_name)), ((appointments_rescheduled))... taken once when sending
    # starts, so every patient of one campaign reads the same numbers.
    figures = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    purge_after_days = models.PositiveSmallIntegerField(default=DEFAULT_PURGE_AFTER_DAYS)
    purged_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    # Counts per delivery status, stored when the campaign ends (and refreshed by late receipts), so
    # that lists of campaigns need no aggregate query. The live figures come from campaign_progress.
    totals = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="campaign_status_valid", condition=Q(status__in=CampaignStatus.values)),
            models.CheckConstraint(name="campaign_channel_valid", condition=Q(channel__in=Channel.values)),
            models.CheckConstraint(name="campaign_scheduled_has_time",
                                   condition=~Q(status=CampaignStatus.SCHEDULED) | Q(scheduled_for__isnull=False)),
            models.CheckConstraint(name="campaign_sending_has_start",
                                   condition=~Q(status__in=[CampaignStatus.SENDING, CampaignStatus.SENT])
                                   | Q(started_at__isnull=False)),
            models.CheckConstraint(name="campaign_sent_has_finish",
                                   condition=~Q(status=CampaignStatus.SENT) | Q(finished_at__isnull=False)),
            models.CheckConstraint(name="campaign_cancelled_has_time",
                                   condition=~Q(status=CampaignStatus.CANCELLED) | Q(cancelled_at__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["trust", "-created_at"], name="campaign_trust_recent"),
            models.Index(fields=["status", "scheduled_for"], name="campaign_status_schedule"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name if self.template_id else 'Campaign'} ({self.get_status_display()})"

    @property
    def ended_at(self) -> dt.datetime | None:
        return self.finished_at or self.cancelled_at


class Recipient(models.Model):
    """One line of the uploaded list. Every contact field is nullable: the purge blanks them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    line = models.PositiveIntegerField(help_text="Line number in the uploaded file.")
    email = models.CharField(max_length=320, null=True, blank=True)
    phone = models.CharField(max_length=20, null=True, blank=True)
    address_lines = models.JSONField(null=True, blank=True)
    nhs_number = models.CharField(max_length=10, null=True, blank=True)
    personalisation = models.JSONField(null=True, blank=True)
    # "kind:hash" for each way this patient can be recognised (email, phone, NHS number, address),
    # keyed hashes as MessagingOptOut stores them (notices.services.opt_outs). Kept by the purge, so
    # that the opt-out link in a message still works after the contact details are deleted.
    opt_out_keys = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "line"], name="recipient_unique_line"),
        ]

    def __str__(self) -> str:
        # Never contact details: this string can end up in logs and the admin's history.
        return f"Recipient on line {self.line}"


# A campaign delivery is an outbox row: the statuses are the outbox's (outbox/models.py).
DeliveryStatus = OutboxStatus


class Delivery(OutboxMessage):
    """One message to one recipient: the outbox row that workers claim, send and settle (the columns
    the engine reads and writes are outbox.models.OutboxMessage's)."""

    # No index of its own: the (campaign, status) index and the (campaign, recipient) constraint lead
    # with it, and every index costs a write on each claim and outcome.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="deliveries")
    provider_reference = models.CharField(max_length=255, blank=True,
                                          help_text="The provider's id for the message (Notify's notification id).")

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "recipient"], name="delivery_unique_per_recipient"),
            models.CheckConstraint(name="delivery_status_valid", condition=Q(status__in=DeliveryStatus.values)),
            models.CheckConstraint(name="delivery_sending_has_claim",
                                   condition=~Q(status=DeliveryStatus.SENDING) | Q(claimed_at__isnull=False)),
            models.CheckConstraint(name="delivery_retry_has_time",
                                   condition=~Q(status=DeliveryStatus.AWAITING_RETRY)
                                   | Q(next_attempt_at__isnull=False)),
        ]
        indexes = [
            # Progress (counts by status) and fan-out by id range within one campaign.
            models.Index(fields=["campaign", "status"], name="delivery_campaign_status"),
            # The recovery task's sweeps (stale claims; due retries and lost messages), as partial indexes:
            # a row is in them only while it is sending or waiting, so the claim and the outcome write
            # (two per message) maintain them for those rows only, not for every finished one.
            models.Index(fields=["claimed_at"], name="delivery_sending_claimed",
                         condition=Q(status=OutboxStatus.SENDING)),
            models.Index(fields=["enqueued_at"], name="delivery_workable_enqueued",
                         condition=Q(status__in=[OutboxStatus.QUEUED, OutboxStatus.AWAITING_RETRY])),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} ({self.get_status_display()})"


class OptOutKind(models.TextChoices):
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"
    NHS_NUMBER = "nhs", "NHS number"
    ADDRESS = "post", "Postal address"


class MessagingOptOut(models.Model):
    """A patient asked not to be messaged, by one trust (trust set) or by any (trust empty).

    One row per way of recognising the patient (their email address, phone number, NHS number and
    postal address, as far as the list that reached them had them), so that an opt-out from a text
    also stops a later email or letter that carries the same NHS number or address.

    The address is kept only as a keyed hash (HMAC-SHA256 with MESSAGING_HASH_KEY) of its normalised
    form: enough to recognise it in a later list, useless to anyone who reads the table."""

    trust = models.ForeignKey("trusts.Trust", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="messaging_opt_outs")
    kind = models.CharField(max_length=5, choices=OptOutKind.choices)
    value_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=40, blank=True, help_text="Where the opt-out came from, e.g. unsubscribe.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trust", "kind", "value_hash"], name="opt_out_unique_per_trust",
                                    condition=Q(trust__isnull=False)),
            models.UniqueConstraint(fields=["kind", "value_hash"], name="opt_out_unique_global",
                                    condition=Q(trust__isnull=True)),
            models.CheckConstraint(name="opt_out_kind_valid", condition=Q(kind__in=OptOutKind.values)),
        ]
        indexes = [models.Index(fields=["kind", "value_hash"], name="opt_out_lookup")]

    def __str__(self) -> str:
        return f"Opt-out ({self.get_kind_display().lower()})"
