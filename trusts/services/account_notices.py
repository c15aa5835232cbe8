"""Emails to a user about a change to their own account's security (two-factor turned off, an API
token created): if it was not them, they find out and can act. Sent by the worker after commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from trusts.models import User

NOTICES = {
    "two_factor_off": (
        "Two-factor authentication was turned off for your account",
        "Two-factor authentication was turned off for your strikeops account ({email}).\n\n"
        "If this was not you, sign in at {site}/account/, turn it back on, change your password and tell "
        "your trust's administrator or regional team.\n"),
    "api_token_created": (
        "A new API token was created for your account",
        "A new API token was created for your strikeops account ({email}).\n\n"
        "If this was not you, revoke it at {site}/account/tokens/, change your password and tell your "
        "trust's administrator or regional team.\n"),
}


def account_notice_send(*, user_id: int, kind: str) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    subject, body = NOTICES[kind]
    EmailMessage(subject=subject, body=body.format(email=user.email, site=settings.SITE_URL.rstrip("/")),
                 from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
    return True
