"""People and what they may do: an email-addressed user and memberships with a scope."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """Signs in with an email address; there is no separate username."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    # Bumped whenever a membership or an authenticator app of this user changes (trusts/signals.py):
    # the user row is loaded on every request anyway, so the two-factor middleware notices a role
    # granted mid-session at no extra query (trusts/otp.py).
    security_epoch = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # by email, not by username

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Role(models.TextChoices):
    TRUST_ADMIN = "trust_admin", "Trust administrator"
    TRUST_COMMS = "trust_comms", "Trust communications"
    REGIONAL_MANAGER = "regional_manager", "Regional manager"
    NATIONAL_MANAGER = "national_manager", "National manager"


TRUST_ROLES = (Role.TRUST_ADMIN, Role.TRUST_COMMS)


class Membership(models.Model):
    """Ties a user to one scope (a trust, a region, or England) with one role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    trust = models.ForeignKey("trusts.Trust", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="memberships")
    region = models.ForeignKey("trusts.Region", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The scope must fit the role: trust roles name a trust, regional managers a region,
            # national managers neither.
            models.CheckConstraint(
                name="membership_scope_fits_role",
                condition=(
                    Q(role__in=[r.value for r in TRUST_ROLES], trust__isnull=False, region__isnull=True)
                    | Q(role=Role.REGIONAL_MANAGER, trust__isnull=True, region__isnull=False)
                    | Q(role=Role.NATIONAL_MANAGER, trust__isnull=True, region__isnull=True)
                ),
            ),
            models.UniqueConstraint(fields=["user", "role", "trust"], name="membership_unique_trust_role",
                                    condition=Q(trust__isnull=False)),
            models.UniqueConstraint(fields=["user", "role", "region"], name="membership_unique_region_role",
                                    condition=Q(region__isnull=False)),
            models.UniqueConstraint(fields=["user", "role"], name="membership_unique_national",
                                    condition=Q(role="national_manager")),
        ]

    def __str__(self) -> str:
        scope = self.trust or self.region or "England"
        return f"{self.user} - {self.get_role_display()} - {scope}"

    def clean(self) -> None:
        if self.role in TRUST_ROLES and (self.trust_id is None or self.region_id is not None):
            raise ValidationError("A trust role needs a trust and no region.")
        if self.role == Role.REGIONAL_MANAGER and (self.region_id is None or self.trust_id is not None):
            raise ValidationError("A regional manager needs a region and no trust.")
        if self.role == Role.NATIONAL_MANAGER and (self.region_id or self.trust_id):
            raise ValidationError("A national manager covers England: leave trust and region empty.")
