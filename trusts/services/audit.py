"""Writing to the audit log. Call audit_record() for every significant action, inside the same
transaction as the change it records (so a rolled-back change leaves no audit row, and a
committed one always has its row)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from trusts.models.audit import AuditEvent
from trusts.models.organisations import Trust


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    event: str,
    summary: str,
    actor: Any = None,
    trust: Trust | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record one event. Never put patient contact details in summary or details."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        event=event,
        summary=summary[:300],
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        trust=trust,
        trust_code=trust.ods_code if trust else "",
        object_type=target._meta.label if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        details=details or {},
        ip_address=_client_ip(request),
    )
