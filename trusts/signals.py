"""Sign-ins (successful and failed) go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from trusts.services.audit import audit_record


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(event="auth.signed_in", summary=f"{user.email} signed in", actor=user, request=request)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from trusts.sign_in_limits import sign_in_failure_audit_allowed

    if not sign_in_failure_audit_allowed(request):
        return
    # Only the address typed is kept: never the password.
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit_record(event="auth.sign_in_failed", summary=f"Failed sign-in for {email}",
                 details={"email": email}, request=request)


@receiver(user_logged_in)
def _two_factor_state(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Decide once per sign-in whether this session must enter a code or set up an app (trusts/otp.py).
    from trusts.otp import remember_two_factor_state

    if request is not None and hasattr(request, "session"):
        # The stamp must be the stored one: an instance loaded before a membership was added holds an
        # older security_epoch, and the next request would decide everything again.
        user.refresh_from_db(fields=["security_epoch", "is_staff", "is_superuser"])
        remember_two_factor_state(request, user)


def _bump_security_epoch(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A membership or authenticator app changed: the user's sessions re-decide what they owe (trusts/otp.py).
    from django.db.models import F

    from trusts.models import User

    User.objects.filter(pk=instance.user_id).update(security_epoch=F("security_epoch") + 1)


def _connect_security_epoch() -> None:
    from django.db.models.signals import post_delete, post_save
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from trusts.models import Membership

    for model in (Membership, TOTPDevice):
        post_save.connect(_bump_security_epoch, sender=model, dispatch_uid=f"security_epoch_save_{model.__name__}")
        post_delete.connect(_bump_security_epoch, sender=model, dispatch_uid=f"security_epoch_delete_{model.__name__}")


_connect_security_epoch()
