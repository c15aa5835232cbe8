"""Limits per client IP across every address typed (password spraying), on top of django-axes'
per address-and-IP lock-out; and a ceiling on the audit rows an anonymous client can cause.

Axes compares one failure limit with the largest count over its lock-out parameters, so adding
"ip_address" there would lock a whole hospital's NAT after five typos. This handler keeps axes'
per-pair limit and adds a separate, higher per-IP limit over the same cool-off window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def cool_off_period(request: HttpRequest) -> dt.timedelta:
    """django-axes' cool-off: AXES_COOLOFF_TIME is set in settings, so never None."""
    period = get_cool_off(request)
    assert period is not None, "AXES_COOLOFF_TIME must be set"
    return period


def _ip(request: HttpRequest) -> str | None:
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request)


def ip_failures(request: HttpRequest) -> int:
    """Failed sign-ins from this client IP within the cool-off, whatever the address typed."""
    since = timezone.now() - cool_off_period(request)
    total = AccessAttempt.objects.filter(ip_address=_ip(request), attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start"))["total"]
    return total or 0


class SprayLimitingHandler(AxesDatabaseHandler):
    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return ip_failures(request) >= settings.SIGN_IN_IP_FAILURE_LIMIT


def sign_in_failure_audit_allowed(request: HttpRequest | None) -> bool:
    """At most SIGN_IN_IP_FAILURE_LIMIT failure and lock-out rows per client IP per cool-off:
    enough to see an attack, not enough for an anonymous client to grow the append-only table."""
    if request is None:
        return True
    from trusts.models import AuditEvent

    since = timezone.now() - cool_off_period(request)
    recorded = AuditEvent.objects.filter(event__in=["auth.sign_in_failed", "auth.locked_out"],
                                         ip_address=request.META.get("REMOTE_ADDR") or None,
                                         occurred_at__gte=since).count()
    return recorded < settings.SIGN_IN_IP_FAILURE_LIMIT
