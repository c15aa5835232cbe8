"""The statuses every outgoing message goes through, whatever table it is a row of (notices/outbox.py)."""

from __future__ import annotations

from django.db import models


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    AWAITING_RETRY = "awaiting_retry", "Waiting to try again"
    DELIVERED = "delivered", "Delivered"
    SENT = "sent", "Sent"
    TEMPORARY_FAILURE = "temporary_failure", "Not delivered (temporary failure)"
    PERMANENT_FAILURE = "permanent_failure", "Not delivered (permanent failure)"
    CANCELLED = "cancelled", "Cancelled"


# Statuses that still need work from us; everything else is an outcome.
PENDING_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.AWAITING_RETRY)
CLAIMABLE_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.AWAITING_RETRY)
SUCCESS_STATUSES = (OutboxStatus.SENT, OutboxStatus.DELIVERED)
FAILURE_STATUSES = (OutboxStatus.TEMPORARY_FAILURE, OutboxStatus.PERMANENT_FAILURE)
