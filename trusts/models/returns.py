"""Daily returns (one per action, trust and strike day), their revisions and reopenings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from trusts.dates import formatted
from trusts.figures import FIGURE, FIGURE_FIELDS, RESCHEDULED_FIELDS, WORKFORCE_FIELDS

MAX_COUNT = 1_000_000


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class ReturnSource(models.TextChoices):
    WEB = "web", "Web form"
    UPLOAD = "upload", "Spreadsheet upload"
    COMMAND = "command", "import_returns command"
    API = "api", "API"


def _count_field(name: str) -> models.PositiveIntegerField[int | None, int | None]:
    return models.PositiveIntegerField(null=True, blank=True, help_text=FIGURE[name].description)


class DailyReturn(models.Model):
    action = models.ForeignKey("trusts.IndustrialAction", on_delete=models.PROTECT, related_name="returns")
    trust = models.ForeignKey("trusts.Trust", on_delete=models.PROTECT, related_name="returns")
    strike_day = models.ForeignKey("trusts.StrikeDay", on_delete=models.PROTECT, related_name="returns")
    date = models.DateField(help_text="The strike day's date (denormalised for grouping and uniqueness).")

    # Workforce: only from trusts the action affects (null for the others).
    staff_absent = _count_field("staff_absent")
    staff_due = _count_field("staff_due")
    # Rescheduled activity: from every active trust. Null only while a draft is incomplete.
    elective_rescheduled = _count_field("elective_rescheduled")
    outpatient_rescheduled = _count_field("outpatient_rescheduled")
    community_rescheduled = _count_field("community_rescheduled")
    mental_health_rescheduled = _count_field("mental_health_rescheduled")
    elective_planned = _count_field("elective_planned")
    outpatient_planned = _count_field("outpatient_planned")

    status = models.CharField(max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT)
    is_nil = models.BooleanField(default=False, help_text='"No impact, confirmed": a nil return.')
    is_late = models.BooleanField(default=False, help_text="First submitted after the deadline.")
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    source = models.CharField(max_length=10, choices=ReturnSource.choices, default=ReturnSource.WEB)
    warning_comment = models.TextField(blank=True, help_text="Why figures that raised a warning are right.")
    # Sign-off by a second person at the trust (actions that require it). A revision clears it, so
    # a signed-off return always carries the figures that were signed off.
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    # Optimistic locking: every save increments it; a writer whose copy is older loses, loudly.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action", "date", "trust__name"]
        constraints = [
            models.UniqueConstraint(fields=["action", "trust", "date"], name="return_unique_per_trust_day"),
            *[
                models.CheckConstraint(name=f"return_{name}_in_range",
                                       condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lte": MAX_COUNT}))
                for name in FIGURE_FIELDS
            ],
            models.CheckConstraint(
                name="return_absent_not_above_due",
                condition=Q(staff_absent__isnull=True) | Q(staff_due__isnull=True)
                | Q(staff_absent__lte=F("staff_due")),
            ),
            models.CheckConstraint(
                name="return_elective_not_above_planned",
                condition=Q(elective_planned__isnull=True) | Q(elective_rescheduled__isnull=True)
                | Q(elective_rescheduled__lte=F("elective_planned")),
            ),
            models.CheckConstraint(
                name="return_outpatient_not_above_planned",
                condition=Q(outpatient_planned__isnull=True) | Q(outpatient_rescheduled__isnull=True)
                | Q(outpatient_rescheduled__lte=F("outpatient_planned")),
            ),
            # A submitted return has every rescheduled figure (zeros for a nil return).
            models.CheckConstraint(
                name="return_submitted_is_complete",
                condition=Q(status="draft") | Q(
                    elective_rescheduled__isnull=False, outpatient_rescheduled__isnull=False,
                    community_rescheduled__isnull=False, mental_health_rescheduled__isnull=False,
                    submitted_at__isnull=False, first_submitted_at__isnull=False),
            ),
            # Only a submitted return can be signed off, and never by the person who last submitted it.
            models.CheckConstraint(
                name="return_sign_off_needs_submission",
                condition=Q(signed_off_at__isnull=True) | Q(status="submitted"),
            ),
            models.CheckConstraint(
                name="return_sign_off_by_second_person",
                condition=Q(signed_off_by__isnull=True) | Q(submitted_by__isnull=True)
                | ~Q(signed_off_by=F("submitted_by")),
            ),
        ]
        indexes = [
            models.Index(fields=["action", "date", "status"], name="return_action_day_status"),
            models.Index(fields=["trust", "action"], name="return_trust_action"),
            # The "3 x the trust's median on earlier strike days" warning on every submission reads a
            # trust's submitted figures before a date; on PostgreSQL this is an index-only scan.
            models.Index(fields=["trust", "date"], name="return_submitted_trust_day",
                         condition=Q(status="submitted"), include=[*WORKFORCE_FIELDS, *RESCHEDULED_FIELDS]),
        ]

    def __str__(self) -> str:
        return f"{self.trust.ods_code} {self.action.slug} {self.date}"

    @property
    def acute_rescheduled(self) -> int:
        return (self.elective_rescheduled or 0) + (self.outpatient_rescheduled or 0)

    @property
    def total_rescheduled(self) -> int:
        return sum(getattr(self, f) or 0 for f in RESCHEDULED_FIELDS)

    def figures(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in FIGURE_FIELDS}


class ReturnRevision(models.Model):
    """A trace of one change to a return after its first submission. Never edited or deleted."""

    daily_return = models.ForeignKey(DailyReturn, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField(help_text="The return's version after this change.")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    source = models.CharField(max_length=10, choices=ReturnSource.choices)
    reason = models.TextField(blank=True)
    # {"field": [old, new], ...} for every figure or flag that changed.
    changes = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["daily_return", "version"]
        constraints = [
            models.UniqueConstraint(fields=["daily_return", "version"], name="revision_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.daily_return} v{self.version}"


class ReturnReopening(models.Model):
    """A manager reopened one trust's returns for a locked action, so they can be corrected."""

    action = models.ForeignKey("trusts.IndustrialAction", on_delete=models.CASCADE, related_name="reopenings")
    trust = models.ForeignKey("trusts.Trust", on_delete=models.CASCADE, related_name="reopenings")
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField()
    reopened_at = models.DateTimeField(auto_now_add=True)
    closes_at = models.DateTimeField(help_text="The returns lock again after this time.")
    closed_early_at = models.DateTimeField(null=True, blank=True)
    # When the trust's administrators were told: their emails (TrustEmail rows) were created and queued.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reopened_at"]

    def __str__(self) -> str:
        return f"{self.trust.ods_code} {self.action.slug} reopened {formatted(self.reopened_at, 'iso')}"
