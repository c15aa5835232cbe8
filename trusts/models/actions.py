"""Industrial actions, their walkout windows and the strike days derived from them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from trusts.dates import formatted
from trusts.strike_calendar import end_of_day, return_deadline


class StaffGroup(models.TextChoices):
    JUNIOR_DOCTORS = "junior_doctors", "Junior doctors"
    CONSULTANTS = "consultants", "Consultants"
    CONSULTANTS_AND_JUNIOR_DOCTORS = "consultants_and_junior_doctors", "Consultants and junior doctors"
    SPECIALTY_DOCTORS = "specialty_doctors", "Specialty and associate specialist doctors"
    NURSES = "nurses", "Nurses"
    AMBULANCE_WORKERS = "ambulance_workers", "Ambulance workers"
    PHYSIOTHERAPISTS = "physiotherapists", "Physiotherapists"
    RADIOGRAPHERS = "radiographers", "Radiographers"
    OTHER = "other", "Other staff"


class Union(models.TextChoices):
    BMA = "BMA", "British Medical Association (BMA)"
    HCSA = "HCSA", "Hospital Consultants and Specialists Association (HCSA)"
    BDA = "BDA", "British Dental Association (BDA)"
    RCN = "RCN", "Royal College of Nursing (RCN)"
    GMB = "GMB", "GMB"
    UNITE = "Unite", "Unite"
    UNISON = "Unison", "Unison"
    CSP = "CSP", "Chartered Society of Physiotherapy (CSP)"
    SOR = "SoR", "Society of Radiographers (SoR)"


class IndustrialAction(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200, help_text='For example "Junior doctors, April 2023".')
    staff_group = models.CharField(max_length=40, choices=StaffGroup.choices)
    # A list of Union values, stored as JSON.
    unions = models.JSONField(default=list, blank=True)
    affected_trusts = models.ManyToManyField(
        "trusts.Trust", blank=True, related_name="affected_by_actions",
        help_text="Trusts where staff are taking action. Empty means every trust.")
    # Derived from the windows (first and last strike day) and kept in step by the services,
    # so lists and reports can sort and filter without touching the windows.
    first_day = models.DateField(null=True, blank=True, editable=False)
    last_day = models.DateField(null=True, blank=True, editable=False)
    hard_close = models.DateField(
        null=True, blank=True,
        help_text="Returns lock at the end of this date. Default: five working days after the last strike day.")
    requires_sign_off = models.BooleanField(
        default=False,
        help_text="A return counts as final only once a second person at the trust has signed it off.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_day", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("actions:detail", args=[self.slug])

    @property
    def affects_all_trusts(self) -> bool:
        return not self.affected_trusts.exists()

    @property
    def locks_at(self) -> dt.datetime | None:
        return end_of_day(self.hard_close) if self.hard_close else None


class WalkoutWindow(models.Model):
    action = models.ForeignKey(IndustrialAction, on_delete=models.CASCADE, related_name="windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(name="window_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
        ]

    def __str__(self) -> str:
        return f"{formatted(self.starts_at, 'stamp')} to {formatted(self.ends_at, 'stamp')}"


class StrikeDay(models.Model):
    """A derived row, never typed: rebuilt from the windows whenever they change
    (trusts.services.actions). Stored so that reports can group and count by day in SQL."""

    action = models.ForeignKey(IndustrialAction, on_delete=models.CASCADE, related_name="strike_days")
    date = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    deadline = models.DateTimeField(help_text="11:00 on the next working day.")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["action", "date"], name="strike_day_unique_per_action"),
        ]

    def __str__(self) -> str:
        return f"{self.action} - {formatted(self.date, 'date')}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.deadline:
            self.deadline = return_deadline(self.date)
        super().save(*args, **kwargs)  # type: ignore[arg-type]
