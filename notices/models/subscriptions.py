"""Email subscriptions to a trust's notices (double opt-in) and the outbox of emails to subscribers."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q

from outbox.models import OutboxMessage, OutboxStatus


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Subscription(models.Model):
    email = models.EmailField(help_text="Stored in lower case.")
    trust = models.ForeignKey("trusts.Trust", on_delete=models.CASCADE, related_name="notice_subscriptions")
    status = models.CharField(max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING)
    # A random secret in every email's unsubscribe link. It does not expire: an unsubscribe link must
    # work however old the email is. Confirmation links are signed separately and do expire.
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["trust", "email"]
        constraints = [
            models.UniqueConstraint(fields=["email", "trust"], name="subscription_unique_email_trust"),
            models.CheckConstraint(condition=Q(email=models.functions.Lower("email")), name="subscription_email_lower"),
            models.CheckConstraint(
                condition=~Q(status=SubscriptionStatus.CONFIRMED) | Q(confirmed_at__isnull=False),
                name="subscription_confirmed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"subscription {self.pk} to {self.trust_id} ({self.status})"


# Emails to subscribers are outbox rows: the statuses are the outbox's (outbox/models.py).
SubscriberEmailStatus = OutboxStatus


class SubscriberEmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Confirm the subscription"
    NOTICE = "notice", "A published notice or an update"
    WITHDRAWAL = "withdrawal", "The notice was withdrawn"


class SubscriberEmail(OutboxMessage):
    """One email to one subscriber: the confirmation link of a subscription, or one published version
    of a notice (or its withdrawal). An outbox row like a campaign delivery (outbox/engine.py: the
    same claim, outcome write, retries and recovery), unique per (version, subscription, kind) so that
    "exactly once" holds however often the fan-out or the send task runs."""

    version = models.ForeignKey("notices.NoticeVersion", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="subscriber_emails")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=12, choices=SubscriberEmailKind.choices, default=SubscriberEmailKind.NOTICE,
                            db_default=SubscriberEmailKind.NOTICE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "subscription", "kind"], name="subscriber_email_once_per_kind"),
            models.CheckConstraint(name="subscriber_email_status_valid", condition=Q(status__in=OutboxStatus.values)),
            models.CheckConstraint(name="subscriber_email_kind_valid",
                                   condition=Q(kind__in=SubscriberEmailKind.values)),
            # A confirmation is about the subscription; every other email is about a version.
            models.CheckConstraint(name="subscriber_email_version_by_kind",
                                   condition=Q(kind=SubscriberEmailKind.CONFIRMATION, version__isnull=True)
                                   | (~Q(kind=SubscriberEmailKind.CONFIRMATION) & Q(version__isnull=False))),
            models.CheckConstraint(name="subscriber_email_sending_has_claim",
                                   condition=~Q(status=OutboxStatus.SENDING) | Q(claimed_at__isnull=False)),
            models.CheckConstraint(name="subscriber_email_retry_has_time",
                                   condition=~Q(status=OutboxStatus.AWAITING_RETRY) | Q(next_attempt_at__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["version", "status"], name="subscriber_email_by_status"),
            # The recovery task's sweeps, as on deliveries.
            models.Index(fields=["status", "claimed_at"], name="subscriber_email_claimed"),
            models.Index(fields=["status", "enqueued_at"], name="subscriber_email_enqueued"),
        ]

    def __str__(self) -> str:
        return f"email {self.pk} v{self.version_id} -> {self.subscription_id} ({self.kind}, {self.status})"
