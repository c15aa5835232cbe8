"""Reminders sent to trusts that still owe a return: one row per (trust, strike day), ever."""

from __future__ import annotations

from django.db import models


class ReminderStatus(models.TextChoices):
    CLAIMED = "claimed", "Claimed (sending)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ReminderSent(models.Model):
    """A worker inserts this row BEFORE it sends anything; the unique constraint lets exactly one
    of two racing workers (or beat ticks) win, so no trust is ever reminded twice for a day.
    A failed send is recorded, not retried: a missed reminder is better than a double one, and
    the missing-returns page still lists the trust for a manager to chase."""

    trust = models.ForeignKey("trusts.Trust", on_delete=models.CASCADE, related_name="reminders")
    strike_day = models.ForeignKey("trusts.StrikeDay", on_delete=models.CASCADE, related_name="reminders")
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.CLAIMED)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "strike_day"], name="reminder_once_per_trust_day"),
        ]

    def __str__(self) -> str:
        return f"Reminder to {self.trust_id} for strike day {self.strike_day_id} ({self.status})"
