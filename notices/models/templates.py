"""Message templates: the text of a patient email, text message or letter, with ((placeholders)).

A template without a trust is a shipped default (the Leicester-style apology) that every trust's
communications staff can read and copy; a trust's own templates are editable by its staff only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    LETTER = "letter", "Letter"


# Notify's own limits: 918 characters is a 6-part text message; longer texts are refused here
# before anything is sent rather than by the provider afterwards.
SMS_MAX_CHARACTERS = 918
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10_000


class MessageTemplate(models.Model):
    trust = models.ForeignKey(
        "trusts.Trust", null=True, blank=True, on_delete=models.PROTECT, related_name="message_templates",
        help_text="Empty for a default template shipped with the service.",
    )
    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True,
                               help_text="Email subject or letter heading; empty for text messages.")
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    # The per-patient placeholders the author means the recipient file to supply (normalised names,
    # e.g. "appointment_date"). Declaring them turns a misspelt ((apointment_date)) into an error at
    # once instead of a campaign that cannot be sent.
    recipient_columns = models.JSONField(default=list, blank=True)
    archived = models.BooleanField(default=False, help_text="Hidden from the list; campaigns keep their template.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "channel"]
        constraints = [
            # Names identify templates on the list and in campaign history: unique among live ones.
            models.UniqueConstraint(fields=["trust", "name"], condition=Q(archived=False),
                                    name="message_template_unique_name_per_trust"),
            models.UniqueConstraint(fields=["name"], condition=Q(archived=False, trust__isnull=True),
                                    name="message_template_unique_default_name"),
            # Text messages have no subject; emails and letters must have one.
            models.CheckConstraint(
                name="message_template_subject_matches_channel",
                condition=(Q(channel=Channel.SMS, subject="") | (~Q(channel=Channel.SMS) & ~Q(subject=""))),
            ),
            models.CheckConstraint(name="message_template_channel_valid",
                                   condition=Q(channel__in=Channel.values)),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display().lower()})"

    @property
    def is_default(self) -> bool:
        return self.trust_id is None
