"""NHS organisations: region -> integrated care board -> trust. ODS codes are data."""

from __future__ import annotations

import re

from django.db import models
from django.urls import reverse

# Words that stay as they are when an ODS upper-case name is shown in title case.
_KEEP_UPPER = {"NHS", "ICB", "UK", "CIC", "HM", "LLP"}
_KEEP_LOWER = {"of", "and", "the", "for", "in", "on", "at", "upon", "with"}


def display_name(ods_name: str) -> str:
    """'UNIVERSITY HOSPITALS OF LEICESTER NHS TRUST' -> 'University Hospitals of Leicester NHS Trust'."""
    words = ods_name.split()
    out: list[str] = []
    for index, word in enumerate(words):
        upper = word.upper()
        if upper in _KEEP_UPPER:
            out.append(upper)
        elif index > 0 and word.lower() in _KEEP_LOWER:
            out.append(word.lower())
        else:
            # Capitalise each part of hyphenated words; "KING'S" -> "King's", not "King'S".
            titled = re.sub(r"[a-z]+", lambda m: m.group(0).capitalize(), word.lower())
            out.append(titled.replace("'S", "'s"))
    return " ".join(out)


class TrustType(models.TextChoices):
    ACUTE = "acute", "Acute"
    MENTAL_HEALTH = "mental_health", "Mental health"
    COMMUNITY = "community", "Community"
    AMBULANCE = "ambulance", "Ambulance"


class TrustStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Region(models.Model):
    code = models.CharField(max_length=3, unique=True, help_text="NHS England region code, e.g. Y60.")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("trusts:region", args=[self.code])


class ICB(models.Model):
    code = models.CharField(max_length=5, unique=True, help_text="ODS code, e.g. QK1.")
    ons_code = models.CharField(max_length=9, blank=True)
    name = models.CharField(max_length=200, help_text="As published by ODS/ONS.")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="icbs")

    class Meta:
        ordering = ["name"]
        verbose_name = "integrated care board"

    def __str__(self) -> str:
        return self.short_name

    @property
    def short_name(self) -> str:
        """'NHS Leicester, ... Integrated Care Board' -> 'Leicester, ... ICB'."""
        name = self.name.removeprefix("NHS ")
        return re.sub(r"\s*Integrated Care Board$", " ICB", name)


class Trust(models.Model):
    ods_code = models.CharField(max_length=5, unique=True)
    ods_name = models.CharField(max_length=200, help_text="Name as ODS publishes it (upper case).")
    name = models.CharField(max_length=200, help_text="Name for display.")
    trust_type = models.CharField(max_length=20, choices=TrustType.choices)
    icb = models.ForeignKey(ICB, on_delete=models.PROTECT, related_name="trusts")
    status = models.CharField(max_length=10, choices=TrustStatus.choices, default=TrustStatus.ACTIVE)
    address = models.CharField(max_length=400, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    contact_email = models.EmailField(blank=True, help_text="Where reminders and chasers go.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    def get_absolute_url(self) -> str:
        return reverse("trusts:trust", args=[self.ods_code])

    @property
    def region(self) -> Region:
        return self.icb.region
