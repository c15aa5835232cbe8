"""Two-factor sign-in (TOTP, django-otp): who must use it and the middleware that enforces it.

A user with a confirmed authenticator app must enter a code once per session before any page
other than sign-out and the code page itself. National managers must have one: until they set it
up, every page sends them to the set-up page (when OTP_REQUIRED_FOR_NATIONAL_MANAGERS is on, as it
is in production; tests/settings.py turns it off so that `client.force_login(nia)` reaches pages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from trusts.scoping import is_national_manager

# Pages an unverified user may still reach: signing out, and the two-factor pages themselves.
EXEMPT_URL_NAMES = frozenset({"logout", "account:two_factor_setup", "account:two_factor_verify"})

# What this session still owes: "verify" (enter a code), "set_up" (a privileged user without an
# app) or "none". Kept in the session with the user's security stamp (security_epoch, is_staff,
# is_superuser: all on the user row every request loads), and decided again whenever the stamp
# changes, so a role or staff flag granted mid-session applies on the very next request while
# ordinary requests cost no query.
SESSION_KEY = "two_factor"
STAMP_KEY = "two_factor_stamp"
VERIFY, SET_UP, NONE = "verify", "set_up", "none"


def confirmed_device(user: Any) -> TOTPDevice | None:
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def two_factor_required(user: Any) -> bool:
    """Whether this user may not turn two-factor off: national managers, staff and superusers (the
    Django admin is a route to every role), when the setting is on."""
    return bool(settings.OTP_REQUIRED_FOR_NATIONAL_MANAGERS) and (
        user.is_staff or user.is_superuser or is_national_manager(user))


def security_stamp(user: Any) -> list[int]:
    return [user.security_epoch, int(user.is_staff), int(user.is_superuser)]


def remember_two_factor_state(request: HttpRequest, user: Any) -> str:
    if confirmed_device(user) is not None:
        state = VERIFY
    elif two_factor_required(user):
        state = SET_UP
    else:
        state = NONE
    request.session[SESSION_KEY] = state
    request.session[STAMP_KEY] = security_stamp(user)
    return state


def is_verified(request: HttpRequest) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


class OTPRequiredMiddleware:
    """Sends an unverified user with an authenticator app to the code page, and a national
    manager without one to the set-up page. Runs after django_otp's OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        user = request.user
        if not user.is_authenticated or is_verified(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_URL_NAMES:
            return None
        state = request.session.get(SESSION_KEY)
        if state is None or request.session.get(STAMP_KEY) != security_stamp(user):
            state = remember_two_factor_state(request, user)
        if state == VERIFY:
            return self._redirect("account:two_factor_verify", request)
        if state == SET_UP:
            return self._redirect("account:two_factor_setup", request)
        return None

    @staticmethod
    def _redirect(view_name: str, request: HttpRequest) -> HttpResponseRedirect:
        # Come back to the page asked for; after a POST (whose body is lost) to the home page.
        target = request.get_full_path() if request.method == "GET" else reverse("home")
        return HttpResponseRedirect(f"{reverse(view_name)}?{urlencode({'next': target})}")
