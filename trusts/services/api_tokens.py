"""API tokens: create (the secret is returned once and never stored), revoke, and find the token
behind a request's secret. See docs/api.md."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from strikeops.errors import ServiceError
from trusts import clock
from trusts.models import ApiToken, User
from trusts.models.api_tokens import PREFIX_LENGTH
from trusts.services.audit import audit_record

# 32 random bytes, URL-safe base64 (43 characters): nothing to guess, nothing to escape in a header.
SECRET_BYTES = 32


class TokenLimitReached(ServiceError):
    """The user has as many active tokens as they may; the message says how to make room."""


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown to the person once, then gone


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def active_tokens(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=clock.now())


def api_token_create(*, user: User, name: str, request: HttpRequest | None = None) -> CreatedToken:
    """A new token for the user. Raises TokenLimitReached past API_TOKENS_PER_USER active tokens."""
    with transaction.atomic():
        # Serialise one user's creations so that two at once cannot pass the limit together.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if active_tokens(user).count() >= settings.API_TOKENS_PER_USER:
            raise TokenLimitReached(f"You can have up to {settings.API_TOKENS_PER_USER} tokens. Revoke one you no "
                                    "longer use before you create another")
        secret = secrets.token_urlsafe(SECRET_BYTES)
        token = ApiToken.objects.create(user=user, name=name.strip(), prefix=secret[:PREFIX_LENGTH],
                                        secret_hash=hash_secret(secret),
                                        expires_at=clock.now() + dt.timedelta(days=settings.API_TOKEN_LIFETIME_DAYS))
        audit_record(event="api_token.created", actor=user, target=token, request=request,
                     summary=f"API token {token.prefix}... ({token.name}) created",
                     details={"prefix": token.prefix, "name": token.name})
    return CreatedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken, user: User, request: HttpRequest | None = None) -> ApiToken:
    """Revoke one of the user's tokens; it stops working on the next request. Revoking twice does nothing."""
    with transaction.atomic():
        now = clock.now()
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            audit_record(event="api_token.revoked", actor=user, target=token, request=request,
                         summary=f"API token {token.prefix}... ({token.name}) revoked",
                         details={"prefix": token.prefix, "name": token.name})
        token.refresh_from_db()
    return token


def api_token_for_secret(secret: str) -> ApiToken | None:
    """The active, unexpired token with this secret (and its active user), or None. One query."""
    return (ApiToken.objects.select_related("user")
            .filter(secret_hash=hash_secret(secret), revoked_at__isnull=True, expires_at__gt=clock.now(),
                    user__is_active=True).first())


def api_token_touch(*, token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Record that the token was used, at most once per API_TOKEN_LAST_USED_INTERVAL: a conditional
    UPDATE, so a burst of calls (or several servers) writes once, not once per call."""
    now = now or clock.now()
    interval = dt.timedelta(seconds=settings.API_TOKEN_LAST_USED_INTERVAL)
    if token.last_used_at is not None and now - token.last_used_at < interval:
        return False
    updated = ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - interval), pk=token.pk,
    ).update(last_used_at=now)
    if updated:
        token.last_used_at = now
    return bool(updated)
