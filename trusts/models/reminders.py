"""Reminders to trusts that still owe a return: the timer's (at most one per trust and strike day) and a
manager's "send a reminder now" (as often as the manager chases). Every row is a line of the reminder log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReminderStatus(models.TextChoices):
    CLAIMED = "claimed", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    NO_CONTACT = "no_contact", "Not sent: nobody to email"


class ReminderTrigger(models.TextChoices):
    TIMER = "timer", "Timer, before the deadline"
    MANAGER = "manager", "Sent by a manager"


class ReminderSent(models.Model):
    """One reminder (a line of the reminder log): to one trust, about one strike day, by the timer or a
    manager. The timer inserts its row BEFORE anything is sent; the conditional unique constraint lets
    exactly one of two racing workers (or beat ticks) win, so the timer never reminds a trust twice for
    a day. Its emails, one per person, are outbox rows (TrustEmail, created in the same transaction):
    sent exactly once each, temporary failures retried. The reminder stays `claimed` ("Sending") while
    any of them is pending, then becomes `sent` (someone got it; recipient_count says how many) or
    `failed` (nobody did; error says why) - see trusts.services.reminders.reminder_settle.

    A trust with nobody to email gets a `no_contact` row, never `sent`: the timer takes that row back
    (a conditional UPDATE) and sends once the trust has a contact, while the deadline is still ahead."""

    trust = models.ForeignKey("trusts.Trust", on_delete=models.CASCADE, related_name="reminders")
    strike_day = models.ForeignKey("trusts.StrikeDay", on_delete=models.CASCADE, related_name="reminders")
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.CLAIMED)
    trigger = models.CharField(max_length=10, choices=ReminderTrigger.choices, default=ReminderTrigger.TIMER)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", help_text="The manager who chased; empty for the timer.")
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0, help_text="People whose email was sent.")
    recipients = models.JSONField(default=list, blank=True, help_text="The addresses the reminder is for.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "strike_day"], condition=Q(trigger="timer"),
                                    name="reminder_timer_once_per_trust_day"),
            # "Sent" means an email went to at least one person (a trust with nobody to email is no_contact).
            models.CheckConstraint(name="reminder_sent_has_recipients",
                                   condition=~Q(status="sent") | Q(recipient_count__gt=0, sent_at__isnull=False)),
        ]
        indexes = [models.Index(fields=["trust", "-claimed_at"], name="reminder_trust_log")]

    def __str__(self) -> str:
        return f"Reminder to {self.trust_id} for strike day {self.strike_day_id} ({self.status})"
