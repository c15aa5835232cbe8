"""API tokens: a user's keys for the REST API (docs/api.md). A token acts as its user, with the
user's memberships; only a SHA-256 hash of the secret is stored, so a database leak gives no key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

PREFIX_LENGTH = 8


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text='What the token is for, e.g. "PAS nightly returns".')
    # The first characters of the secret, shown in lists so that a person can tell tokens apart.
    prefix = models.CharField(max_length=PREFIX_LENGTH)
    # sha256 hex of the whole secret. A random 32-byte secret needs no salt or slow hash: there is
    # nothing to guess from the hash, and a fast lookup by hash keeps each API call one query.
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Recorded at most once a minute (trusts.api.authentication), so busy clients do not write on every call.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A token stops working at this time (API_TOKEN_LIFETIME_DAYS after creation): a leaked key
    # that nobody revokes does not work for ever.
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # token_urlsafe's alphabet, exactly PREFIX_LENGTH characters.
            models.CheckConstraint(name="api_token_prefix_form",
                                   condition=Q(prefix__regex=rf"^[A-Za-z0-9_-]{{{PREFIX_LENGTH}}}$")),
            models.CheckConstraint(name="api_token_hash_is_sha256",
                                   condition=Q(secret_hash__regex=r"^[0-9a-f]{64}$")),  # noqa: S106 (a pattern)
        ]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

