"""Email subscriptions to a trust's notices (double opt-in) and the outbox of emails to subscribers."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q


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


class SubscriberEmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (unsubscribed before sending)"
    FAILED = "failed", "Failed"


class SubscriberEmail(models.Model):
    """One email about one published version of a notice to one subscriber: the outbox row that
    makes "exactly once" hold however often the fan-out or the send task runs."""

    version = models.ForeignKey("notices.NoticeVersion", on_delete=models.CASCADE, related_name="subscriber_emails")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="emails")
    status = models.CharField(max_length=10, choices=SubscriberEmailStatus.choices,
                              default=SubscriberEmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "subscription"], name="subscriber_email_once_per_version"),
        ]
        indexes = [models.Index(fields=["version", "status"], name="subscriber_email_by_status")]

    def __str__(self) -> str:
        return f"email {self.pk} v{self.version_id} -> {self.subscription_id} ({self.status})"
