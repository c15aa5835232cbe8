"""Published releases: an action's figures as a manager published them, frozen."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Release(models.Model):
    """A dated, numbered, frozen copy of an action's figures. Public once it exists; later
    revisions to returns never touch it (the figures are copied, not referenced), and the next
    release lists what changed since this one and why."""

    action = models.ForeignKey("trusts.IndustrialAction", on_delete=models.PROTECT, related_name="releases")
    number = models.PositiveIntegerField(help_text="1 for an action's first release, then 2, 3, ...")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # national_totals' entry for the action, plus region, ICB and trust tables and completeness,
    # exactly as they stood when published (reports.services.releases.release_snapshot).
    figures = models.JSONField()
    # {"previous", "totals": {metric: [old, new]}, "returns": [{ods_code, trust, date, changes, reasons}]}:
    # what moved since the previous release, and the reasons trusts gave (empty for release 1).
    changes_since_previous = models.JSONField(default=dict, blank=True)
    # The newest revision included, so that the next release can find the reasons given since.
    last_revision_id = models.PositiveBigIntegerField(default=0)
    # What the manager said about this release (shown on it), and, when a strike day was below the
    # coverage threshold, why it was published anyway: both public, with the figures.
    note = models.TextField(blank=True, default="")
    incomplete_reason = models.TextField(blank=True, default="")
    coverage_threshold = models.PositiveSmallIntegerField(
        default=95, help_text="The RELEASE_COVERAGE_THRESHOLD (percent) in force when it was published.")

    class Meta:
        db_table = "trusts_release"  # created by trusts' migration 0007, before the model moved apps
        ordering = ["action", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["action", "number"], name="release_number_unique_per_action"),
            models.CheckConstraint(name="release_number_positive", condition=Q(number__gte=1)),
            models.CheckConstraint(name="release_coverage_threshold_percent", condition=Q(coverage_threshold__lte=100)),
        ]

    def __str__(self) -> str:
        return f"{self.action} - release {self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("A published release is frozen and cannot be changed.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("reports:release", args=[self.action.slug, self.number])
