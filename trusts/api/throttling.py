"""Throttling per token (signed-in clients) and per client address (public endpoints).

Rates come from settings.API_THROTTLE_RATES (env API_THROTTLE_TOKEN / API_THROTTLE_ANON), read on
each request rather than at import, so a deployment (or a test) can change them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from trusts.models import ApiToken

if TYPE_CHECKING:  # rest_framework.views reads this module's class from the settings while it loads
    from rest_framework.views import APIView


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
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            # Keyed by the token, not the user: each of a user's systems has its own allowance.
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
