"""Emails to trusts' staff: return reminders and reopened returns. Rows of the outbox (outbox/engine.py:
the same claim, outcome write, retries and recovery as campaign deliveries and subscriber emails), one
per person, so that each person gets each email exactly once."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from outbox.models import OutboxMessage, OutboxStatus


class TrustEmailKind(models.TextChoices):
    REMINDER = "reminder", "A reminder about a return"
    REOPENING = "reopening", "Returns reopened"


class TrustEmail(OutboxMessage):
    """One email to one person at a trust (an administrator, or the trust's contact address): a line of
    a reminder (ReminderSent, the reminder log's row) or the notice of a reopening (ReturnReopening).
    Unique per (reminder, address) and (reopening, address): however often the timer, a manager's
    click or a task runs, nobody is written to twice about the same thing."""

    kind = models.CharField(max_length=10, choices=TrustEmailKind.choices)
    to = models.EmailField(help_text="The address written to (a trust administrator's or the trust's contact).")
    reminder = models.ForeignKey("trusts.ReminderSent", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="emails")
    reopening = models.ForeignKey("trusts.ReturnReopening", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="emails")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reminder", "to"], name="trust_email_once_per_reminder",
                                    condition=Q(reminder__isnull=False)),
            models.UniqueConstraint(fields=["reopening", "to"], name="trust_email_once_per_reopening",
                                    condition=Q(reopening__isnull=False)),
            models.CheckConstraint(name="trust_email_about_one_thing",
                                   condition=Q(kind=TrustEmailKind.REMINDER, reminder__isnull=False,
                                               reopening__isnull=True)
                                   | Q(kind=TrustEmailKind.REOPENING, reopening__isnull=False, reminder__isnull=True)),
            models.CheckConstraint(name="trust_email_status_valid", condition=Q(status__in=OutboxStatus.values)),
            models.CheckConstraint(name="trust_email_sending_has_claim",
                                   condition=~Q(status=OutboxStatus.SENDING) | Q(claimed_at__isnull=False)),
            models.CheckConstraint(name="trust_email_retry_has_time",
                                   condition=~Q(status=OutboxStatus.AWAITING_RETRY) | Q(next_attempt_at__isnull=False)),
        ]
        indexes = [
            # The recovery task's sweeps, as on deliveries: partial, so finished rows cost nothing.
            models.Index(fields=["claimed_at"], name="trust_email_sending_claimed",
                         condition=Q(status=OutboxStatus.SENDING)),
            models.Index(fields=["enqueued_at"], name="trust_email_workable_enqueued",
                         condition=Q(status__in=[OutboxStatus.QUEUED, OutboxStatus.AWAITING_RETRY])),
        ]

    def __str__(self) -> str:
        # Never the address: this string can end up in logs.
        return f"Trust email {self.pk} ({self.kind}, {self.status})"
