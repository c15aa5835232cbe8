"""Public notices: a trust's statement to its patients about industrial action.

The author writes the text with ((placeholders)); each publication freezes the filled-in text as a
NoticeVersion, so the public page, the feed and the emails to subscribers all show exactly what was
published, and a figure that changes later only reaches the public through an update with a change note.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from trusts.dates import formatted

# The standard advice during industrial action (DOMAIN.md).
DEFAULT_WHAT_TO_DO = (
    "Please come to your appointment as planned unless we have contacted you to rearrange it.\n\n"
    "In an emergency, call 999 or go to A&E.\n\n"
    "If you need medical help and it is not an emergency, use NHS 111 online or call 111."
)

# The default apology, written in the spirit of University Hospitals of Leicester's apology of
# April 2023. Every placeholder here is filled from the trust's own submitted returns.
APOLOGY_TITLE = "Industrial action ((action_dates)): our apology to patients"
APOLOGY_BODY = (
    "Industrial action affected services at ((trust_name)) on ((action_dates)). "
    "We apologise to anyone whose care has been disrupted during this period.\n\n"
    "On the busiest day of the action ((peak_staff_absent)) of our staff were not at work. "
    "To keep emergency, urgent and cancer care running safely we had to reschedule "
    "((appointments_rescheduled)) appointments and ((procedures_rescheduled)) planned procedures.\n\n"
    "If your appointment or procedure was moved, we have contacted you or will contact you soon with a new "
    "date. We are working to see everyone affected as quickly as we can.\n\n"
    "Thank you to our staff who kept services safe, and to our patients for their patience and understanding."
)


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Notice(models.Model):
    trust = models.ForeignKey("trusts.Trust", on_delete=models.PROTECT, related_name="notices")
    action = models.ForeignKey("trusts.IndustrialAction", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="notices")
    # The author's text, with ((placeholders)). The public sees current_version, never these fields directly.
    title = models.CharField(max_length=200)
    body = models.TextField()
    what_to_do = models.TextField(default=DEFAULT_WHAT_TO_DO)
    # Set at first publication from the filled-in title, then stable so links keep working.
    slug = models.SlugField(max_length=220, blank=True)
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    current_version = models.ForeignKey("notices.NoticeVersion", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    published_at = models.DateTimeField(null=True, blank=True, help_text="First publication.")
    updated_at_public = models.DateTimeField(null=True, blank=True, help_text='"Last updated" on the page.')
    change_note = models.TextField(blank=True, help_text="Shown on the page with the last update.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "slug"], condition=~Q(slug=""), name="notice_unique_slug"),
            models.CheckConstraint(
                condition=Q(status=NoticeStatus.DRAFT)
                | (Q(published_at__isnull=False) & Q(current_version__isnull=False) & ~Q(slug="")),
                name="notice_published_has_version",
            ),
            models.CheckConstraint(
                condition=~Q(status=NoticeStatus.WITHDRAWN) | (Q(withdrawn_at__isnull=False) & ~Q(withdrawn_reason="")),
                name="notice_withdrawn_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "-published_at"], name="notice_public_list")]

    def __str__(self) -> str:
        return f"{self.title} ({self.trust_id}, {self.status})"

    def get_absolute_url(self) -> str:
        return reverse("notices:notice", args=[self.trust.ods_code, self.slug])

    @property
    def is_public(self) -> bool:
        return self.status in (NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN)


class NoticeVersion(models.Model):
    """The text exactly as published (placeholders filled), once per publication or update.
    Never edited: emails to subscribers are keyed to it."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField()
    what_to_do = models.TextField()
    change_note = models.TextField(blank=True)
    # The placeholder values used, so a published figure can be traced to the returns of the day.
    figures = models.JSONField(default=dict)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["notice", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="notice_version_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="notice_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} v{self.number}"


class NoticeChange(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Draft edited"
    PUBLISHED = "published", "Published"
    UPDATED = "updated", "Update published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class NoticeRevision(models.Model):
    """A trace of every change to a notice, drafts included. Never edited or deleted."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="revisions")
    change = models.CharField(max_length=10, choices=NoticeChange.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # {"field": [old, new], ...} for each field that changed.
    changes = models.JSONField(default=dict)
    note = models.TextField(blank=True, help_text="Change note or withdrawal reason.")
    version = models.ForeignKey(NoticeVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.change} {formatted(self.created_at, 'stamp')}"
