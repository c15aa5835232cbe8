"""Your account: roles, two-factor set-up, the code page after sign-in, and the lock-out page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from trusts.dates import formatted
from trusts.forms.accounts import ConfirmIdentityForm, TwoFactorCodeForm
from trusts.models import Membership
from trusts.otp import NONE, SESSION_KEY, confirmed_device, is_verified, remember_two_factor_state, two_factor_required
from trusts.scoping import AuthenticatedHttpRequest, is_national_manager
from trusts.services import two_factor as services
from trusts.services.audit import audit_record
from trusts.services.two_factor import CodeResult
from trusts.sign_in_limits import cool_off_period, sign_in_failure_audit_allowed
from trusts.tasks import send_account_notice

CODE_ERRORS = {
    CodeResult.WRONG: "The security code is not correct or has expired. Enter the latest code from your app",
    CodeResult.THROTTLED: "You have entered too many wrong codes. Wait a minute, then enter the latest code",
}


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
def account_detail(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("trust", "region").order_by("role")
    return render(request, "account/detail.html", {
        "memberships": memberships,
        "device": confirmed_device(request.user),
        "two_factor_required": two_factor_required(request.user),
        "is_national_manager": is_national_manager(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    if confirmed_device(request.user) is not None:
        return redirect("account:detail")
    device = services.two_factor_pending_device(user=request.user)
    form = TwoFactorCodeForm(request.POST or None, submit_text="Turn on two-factor authentication")
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_confirm(user=request.user, device=device, code=form.cleaned_data["code"],
                                             request=request)
        if result is CodeResult.ACCEPTED:
            messages.success(request, "Two-factor authentication is on. You will need a code each time you sign in.")
            return redirect(_next_url(request, reverse("account:detail")))
        form.add_error("code", CODE_ERRORS[result])
    return render(request, "account/two_factor_setup.html", {
        "form": form,
        "qr_code": services.qr_code_data_uri(device),
        "secret": services.secret_for_manual_entry(device),
        "required": two_factor_required(request.user),
        "next": _next_url(request, ""),
    })


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    if confirmed_device(request.user) is None:  # turned off in another session since sign-in
        remember_two_factor_state(request, request.user)
        return redirect("account:two_factor_setup" if two_factor_required(request.user) else "account:detail")
    if is_verified(request):
        return redirect(_next_url(request, reverse("home")))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(user=request.user, code=form.cleaned_data["code"], request=request)
        if result is CodeResult.ACCEPTED:
            return redirect(_next_url(request, reverse("home")))
        form.add_error("code", CODE_ERRORS[result])
    return render(request, "account/two_factor_verify.html", {"form": form, "next": _next_url(request, "")})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_turn_off(request: AuthenticatedHttpRequest) -> HttpResponse:
    if confirmed_device(request.user) is None:
        return redirect("account:detail")
    if two_factor_required(request.user):
        messages.info(request, "National managers must use two-factor authentication, so it cannot be turned off.")
        return redirect("account:detail")
    form = ConfirmIdentityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.two_factor_remove(user=request.user, request=request)
        send_account_notice.delay_on_commit(
            user_id=request.user.pk, kind="two_factor_off")
        request.session[SESSION_KEY] = NONE
        messages.success(request, "Two-factor authentication is off.")
        return redirect("account:detail")
    return render(request, "account/two_factor_turn_off.html", {"form": form})


def _time_of_day(moment: datetime) -> str:
    """NHS.UK style: 2:05pm, 10am, midday."""
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def locked_out(request: HttpRequest, response: HttpResponse | None = None,
               credentials: dict[str, Any] | None = None) -> HttpResponse:
    """django-axes' lock-out response (AXES_LOCKOUT_CALLABLE): says when to try again, and
    records the refusal in the audit log."""
    username = get_client_username(request, credentials) or ""
    cool_off = cool_off_period(request)
    last_failure = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(last=Max("attempt_time"))["last"]
    locked_until = (last_failure or timezone.now()) + cool_off
    local = timezone.localtime(locked_until)
    if sign_in_failure_audit_allowed(request):
        audit_record(event="auth.locked_out", summary=f"Sign-in locked for {username} after repeated failures",
                     details={"email": username, "locked_until": locked_until.isoformat()}, request=request)
    day = "today" if local.date() == timezone.localdate() else f"on {formatted(local, 'date')}"
    return render(request, "account/locked_out.html", {
        "try_again_at": f"{_time_of_day(local)} {day}",
        "cool_off_minutes": int(cool_off.total_seconds() // 60),
    }, status=429)
