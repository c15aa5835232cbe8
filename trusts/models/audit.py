"""The audit log: an append-only record of every significant action."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trusts.dates import formatted


class AuditEvent(models.Model):
    """One thing that happened. Rows are only ever inserted: the model refuses updates and
    deletes, and on PostgreSQL a trigger refuses them in the database too (migration 0004)."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No foreign-key constraints: deleting a user or trust must never touch the log, and the
    # e-mail and ODS code are copied so that the record still reads after such a deletion.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    event = models.CharField(max_length=60, help_text='Dotted name, e.g. "return.submitted".')
    trust = models.ForeignKey("trusts.Trust", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    trust_code = models.CharField(max_length=5, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # The audit page's keyset pages walk these from a cursor, all events or one kind; the second
        # also gives the filter its list of kinds by a skip scan (trusts/selectors/audit.py).
        indexes = [models.Index(fields=["occurred_at", "id"], name="audit_event_keyset"),
                   models.Index(fields=["event", "occurred_at", "id"], name="audit_event_kind_keyset")]

    def __str__(self) -> str:
        return f"{formatted(self.occurred_at, 'stamp')} {self.event} {self.summary}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only and cannot be deleted.")
