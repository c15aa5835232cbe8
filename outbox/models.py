"""The shape of every outbox table: the statuses every outgoing message goes through, and the abstract
model whose columns the engine (outbox/engine.py) reads and writes, whatever table a message is a row of.
No concrete model lives here: each app's table (campaign deliveries, subscriber emails, emails to trusts)
inherits OutboxMessage and adds what the message is about."""

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


class OutboxMessage(models.Model):
    """One outgoing message: what the engine claims, sends and settles. Subclasses add what the
    message is about and, in their Meta, the constraints below under their own names (a status in
    OutboxStatus, a claim time while sending, a retry time while awaiting a retry) and the partial
    indexes the recovery sweeps read."""

    status = models.CharField(max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker claimed it to send.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When this row was last put in a broker message; queued rows whose message was lost (a broker or
    # worker crash) are put in a new one by the recovery task after DELIVERY_REQUEUE_AFTER_SECONDS.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When a worker claimed it; a row still sending long after this was left by a killed worker.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Released by the recovery task after its worker died mid-send: whether the provider got it is not
    # known, so the next attempt asks the provider before sending (or, if it cannot be asked, sends
    # again and sets possibly_duplicated).
    outcome_unknown = models.BooleanField(default=False, db_default=False)
    # Database defaults too: rows written by COPY or by a previous release's code during a deploy.
    possibly_duplicated = models.BooleanField(
        default=False, db_default=False,
        help_text="Sent again after a worker stopped mid-send, through a channel that cannot be asked whether it "
                  "had the first copy (SMTP).")
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
