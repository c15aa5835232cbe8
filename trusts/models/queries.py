"""Queries on returns: a manager or analyst asks a trust about one figure of one return."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from trusts.figures import FIGURE_FIELDS, FIGURE_LABELS


class QueryStatus(models.TextChoices):
    OPEN = "open", "Waiting for the trust"
    ANSWERED = "answered", "Answered by the trust"
    CLOSED = "closed", "Closed"


class QueryAnswer(models.TextChoices):
    REVISED = "revised", "Revised the figure"
    CONFIRMED = "confirmed", "Confirmed the figure"


class ReturnQuery(models.Model):
    """One question about one figure. Open until the trust answers (by revising the return, with a
    reason, or by confirming the figure with a comment); the manager then closes it."""

    daily_return = models.ForeignKey("trusts.DailyReturn", on_delete=models.CASCADE, related_name="queries")
    figure = models.CharField(max_length=30, choices=[(name, FIGURE_LABELS[name]) for name in FIGURE_FIELDS])
    # The figure as it stood when the query was raised, so the question still reads after a revision.
    figure_value = models.PositiveIntegerField(null=True, blank=True)
    question = models.TextField()
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    raised_at = models.DateTimeField()
    answer = models.CharField(max_length=10, choices=QueryAnswer.choices, blank=True)
    answer_comment = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="query_figure_known", condition=Q(figure__in=list(FIGURE_FIELDS))),
            # An answered query says how it was answered and when; a closed one says when (a manager
            # may close a query the trust never answered).
            models.CheckConstraint(
                name="query_answer_fits_status",
                condition=Q(status="open", answer="", answered_at__isnull=True)
                | (Q(status="answered", answered_at__isnull=False) & ~Q(answer=""))
                | Q(status="closed"),
            ),
            models.CheckConstraint(
                name="query_closed_has_time",
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
            ),
        ]
        indexes = [models.Index(fields=["status", "daily_return"], name="query_status_return")]

    def __str__(self) -> str:
        return f"Query on {self.figure} of return {self.daily_return_id} ({self.status})"
