"""Two-factor sign-in: required for national managers, optional for everyone else."""

from __future__ import annotations

import base64
import re

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from tests.security.helpers import allow_code_reuse, confirmed_totp_device, current_code, force_login_verified
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db
required = override_settings(OTP_REQUIRED_FOR_NATIONAL_MANAGERS=True)
no_throttle = override_settings(OTP_TOTP_THROTTLE_FACTOR=0)


def sign_in(client, user):
    response = client.post("/sign-in/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


@required
@no_throttle
def test_a_national_manager_without_an_app_must_set_one_up_before_any_page(client, nia) -> None:
    sign_in(client, nia)
    for path in ["/", "/trusts/RWE/", "/account/", "/audit/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/account/two-factor/set-up/?next={path.replace('/', '%2F')}"

    page = client.get("/account/two-factor/set-up/?next=/trusts/RWE/")
    html = page.content.decode()
    assert "National managers must use two-factor authentication" in html
    # The QR code is drawn here as SVG in a data: URI; no outside image service sees the secret.
    found = re.search(r'<img class="app-qr-code" src="([^"]+)"', html)
    assert found is not None
    src = found.group(1)
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]).startswith(b"<svg")
    device = TOTPDevice.objects.get(user=nia, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in html
    assert "http" not in src

    wrong = client.post("/account/two-factor/set-up/", {"code": "000000", "next": "/trusts/RWE/"})
    assert wrong.status_code == 200
    assert "The security code is not correct or has expired" in wrong.content.decode()
    assert wrong.context["form"].errors

    right = client.post("/account/two-factor/set-up/", {"code": current_code(device), "next": "/trusts/RWE/"})
    assert right.status_code == 302 and right["Location"] == "/trusts/RWE/"
    assert TOTPDevice.objects.get(user=nia).confirmed
    assert client.get("/trusts/RWE/").status_code == 200
    events = list(AuditEvent.objects.filter(event__startswith="auth.two_factor").order_by("id")
                  .values_list("event", flat=True))
    assert events == ["auth.two_factor_failed", "auth.two_factor_added"]


@required
def test_reloading_the_set_up_page_keeps_the_same_secret(client, nia) -> None:
    sign_in(client, nia)
    first = client.get("/account/two-factor/set-up/").context["secret"]
    assert client.get("/account/two-factor/set-up/").context["secret"] == first
    assert TOTPDevice.objects.filter(user=nia).count() == 1


@required
@no_throttle
def test_a_national_manager_with_an_app_enters_a_code_before_any_page(client, nia) -> None:
    device = confirmed_totp_device(nia)
    sign_in(client, nia)
    response = client.get("/trusts/")
    assert response["Location"] == "/account/two-factor/verify/?next=%2Ftrusts%2F"
    # Signing out is always possible.
    assert client.get("/account/two-factor/verify/").status_code == 200
    response = client.post("/account/two-factor/verify/", {"code": "12345", "next": "/trusts/"})
    assert "Enter the security code as 6 numbers, like 123456" in response.content.decode()
    response = client.post("/account/two-factor/verify/", {"code": "000000", "next": "/trusts/"})
    assert "The security code is not correct or has expired" in response.content.decode()
    code = current_code(device)
    response = client.post("/account/two-factor/verify/", {"code": f"{code[:3]} {code[3:]}", "next": "/trusts/"})
    assert response.status_code == 302 and response["Location"] == "/trusts/"
    assert client.get("/trusts/").status_code == 200
    two_factor_events = AuditEvent.objects.filter(event__startswith="auth.two_factor").order_by("id")
    assert list(two_factor_events.values_list("event", "details")) == [
        ("auth.two_factor_failed", {"reason": "wrong", "stage": "sign-in"}),
        ("auth.two_factor_verified", {}),
    ]


@required
def test_sign_out_needs_no_code(client, nia) -> None:
    confirmed_totp_device(nia)
    sign_in(client, nia)
    response = client.post("/sign-out/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


@required
@no_throttle
def test_a_code_cannot_be_used_twice(client, nia) -> None:
    device = confirmed_totp_device(nia)
    sign_in(client, nia)
    code = current_code(device)
    assert client.post("/account/two-factor/verify/", {"code": code})["Location"] == "/"
    client.post("/sign-out/")
    sign_in(client, nia)
    response = client.post("/account/two-factor/verify/", {"code": code})
    assert response.status_code == 200
    assert "not correct or has expired" in response.content.decode()


@required
def test_wrong_codes_are_throttled(client, nia) -> None:
    device = confirmed_totp_device(nia)
    sign_in(client, nia)
    client.post("/account/two-factor/verify/", {"code": "000000"})
    # Straight after a wrong code even the right one is refused (django-otp's growing delay).
    response = client.post("/account/two-factor/verify/", {"code": current_code(device)})
    assert "You have entered too many wrong codes" in response.content.decode()
    assert client.get("/trusts/").status_code == 302
    assert AuditEvent.objects.filter(event="auth.two_factor_failed", details__reason="throttled").count() == 1


@required
def test_the_code_page_does_not_redirect_elsewhere(client, nia) -> None:
    device = confirmed_totp_device(nia)
    sign_in(client, nia)
    response = client.post("/account/two-factor/verify/", {"code": current_code(device),
                                                          "next": "https://evil.example/steal"})
    assert response["Location"] == "/"


@required
def test_a_national_manager_cannot_turn_two_factor_off(client, nia) -> None:
    force_login_verified(client, nia)
    assert "cannot be turned off" in client.get("/account/").content.decode()
    response = client.post("/account/two-factor/turn-off/")
    assert response["Location"] == "/account/"
    assert TOTPDevice.objects.filter(user=nia, confirmed=True).exists()


@required
@no_throttle
def test_other_users_may_opt_in_and_then_need_a_code_and_may_opt_out(client, ada) -> None:
    sign_in(client, ada)
    assert client.get("/trusts/").status_code == 200  # not required for a trust administrator
    account = client.get("/account/").content.decode()
    assert "Set up two-factor authentication" in account and "University Hospitals of Leicester" in account
    assert "Turn off" not in account and "Audit log" not in account

    client.get("/account/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=ada)
    response = client.post("/account/two-factor/set-up/", {"code": current_code(device)})
    assert response["Location"] == "/account/"
    client.post("/sign-out/")

    allow_code_reuse(device)
    sign_in(client, ada)
    assert client.get("/trusts/")["Location"] == "/account/two-factor/verify/?next=%2Ftrusts%2F"
    client.post("/account/two-factor/verify/", {"code": current_code(device)})
    assert client.get("/trusts/").status_code == 200

    assert client.get("/account/two-factor/turn-off/").status_code == 200
    # Not without the password or a code (tests/security/test_reauthentication.py has the rest).
    assert client.post("/account/two-factor/turn-off/").status_code == 200
    assert client.post("/account/two-factor/turn-off/", {"proof": PASSWORD})["Location"] == "/account/"
    assert not TOTPDevice.objects.filter(user=ada).exists()
    assert AuditEvent.objects.filter(event="auth.two_factor_removed", actor_email=ada.email).count() == 1
    client.post("/sign-out/")
    sign_in(client, ada)
    assert client.get("/trusts/").status_code == 200


def test_with_the_requirement_off_force_login_reaches_pages(client, nia) -> None:
    # tests/settings.py: OTP_REQUIRED_FOR_NATIONAL_MANAGERS = False, for other areas' tests.
    client.force_login(nia)
    assert client.get("/trusts/").status_code == 200
    assert client.get("/audit/").status_code == 200


@required
def test_force_login_verified_lets_a_test_act_as_a_national_manager_with_two_factor_on(client, nia) -> None:
    force_login_verified(client, nia)
    assert client.get("/audit/").status_code == 200


def test_the_account_page_needs_a_sign_in(client) -> None:
    assert client.get("/account/")["Location"] == "/sign-in/?next=/account/"
    assert client.get("/account/two-factor/set-up/")["Location"].startswith("/sign-in/")


def test_ordinary_requests_cost_no_two_factor_query(client, ada, django_assert_num_queries) -> None:
    from django.test import RequestFactory
    from django.urls import resolve

    from trusts.otp import OTPRequiredMiddleware

    client.force_login(ada)
    assert client.session["two_factor"] == "none"  # decided at sign-in
    request = RequestFactory().get("/trusts/")
    ada.is_verified = lambda: False  # django-otp sets it per request
    request.user = ada
    request.session = client.session
    request.session.get("two_factor")  # SessionMiddleware has loaded the session by now
    request.resolver_match = resolve("/trusts/")
    with django_assert_num_queries(0):
        assert OTPRequiredMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {}) is None


@required
def test_a_session_from_before_sign_in_state_was_kept_is_still_checked(client, nia) -> None:
    confirmed_totp_device(nia)
    client.force_login(nia)
    session = client.session
    del session["two_factor"]
    session.save()
    assert client.get("/trusts/")["Location"].startswith("/account/two-factor/verify/")
