"""Throttling per token (signed-in clients) and per client address (public endpoints).

Rates come from settings.API_THROTTLE_RATES (env API_THROTTLE_TOKEN / API_THROTTLE_ANON), read on
each request rather than at import, so a deployment (or a test) can change them.

The counts live in the shared cache (Redis in production). When Redis cannot be reached the API
keeps answering: the same limits are counted in this process's memory instead (so each web process
allows the full rate until Redis is back), and that is logged, at most once a minute per process."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from strikeops.cache import CACHE_ERRORS
from trusts.models import ApiToken

if TYPE_CHECKING:  # rest_framework.views reads this module's class from the settings while it loads
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

LOCAL_COUNTS = LocMemCache("api-throttle-local", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
WARN_EVERY_SECONDS = 60
_last_warning = 0.0


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def __init__(self) -> None:  # the base class reads the rate here; allow_request reads it again
        pass

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = "token" if isinstance(request.auth, ApiToken) else "anon"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            _warn_local(error)
            self.cache = LOCAL_COUNTS
            return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            # Keyed by the token, not the user: each of a user's systems has its own allowance.
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _warn_local(error: BaseException) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning("API throttling: the cache (Redis) is unreachable (%s); counting in this process instead",
                       type(error).__name__)
