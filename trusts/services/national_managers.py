"""The first national manager of a deployment (and any later one made from the command line)."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from strikeops.errors import ServiceError
from trusts.models import Membership, Role, User
from trusts.services.audit import audit_record


class NationalManagerError(ServiceError):
    """The national manager cannot be created; the message says why."""


@transaction.atomic
def national_manager_create(*, email: str, site_url: str) -> tuple[User, str]:
    """Makes the user (staff and superuser, for the admin, with no usable password) and their
    national-manager membership, and returns a one-time link: it sets their password (Django's
    password-reset token, spent once the password changes), after which the two-factor middleware
    sends them to set up an authenticator app before any other page, /admin/ included."""
    email = User.objects.normalize_email(email).strip().lower()
    if not email or "@" not in email:
        raise NationalManagerError("Give an email address.")
    if User.objects.filter(email=email).exists():
        raise NationalManagerError(f"A user with the address {email} already exists.")
    user = User.objects.create_user(email=email, password=None, is_staff=True, is_superuser=True)
    Membership.objects.create(user=user, role=Role.NATIONAL_MANAGER)
    audit_record(event="account.national_manager_created", summary=f"{email} made a national manager (command line)",
                 target=user)
    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    return user, site_url.rstrip("/") + path
