"""Lock-out after repeated failures (django-axes), password rules, session and cookie settings."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from tests.conftest import PASSWORD, REPO
from tests.security.helpers import production_env
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db


def sign_in(client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/sign-in/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_address_for_30_minutes_and_say_when(client, ada) -> None:
    for _ in range(4):
        response = sign_in(client, ada.email, "wrong")
        assert response.status_code == 200
        assert "Enter a correct email address and password" in response.content.decode()
    before = timezone.localtime()
    response = sign_in(client, ada.email, "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "<h1>Sign-in locked</h1>" in page
    assert "you cannot sign in for 30 minutes" in page
    # The time shown is 30 minutes after the fifth failure, in UK time.
    after = timezone.localtime()
    possible = {_hhmm(before + dt.timedelta(minutes=30)), _hhmm(after + dt.timedelta(minutes=30))}
    assert any(f"Try again after {t}" in page for t in possible), page

    # Even the right password is refused during the lock-out.
    response = sign_in(client, ada.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def _hhmm(moment: dt.datetime) -> str:
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    hour, suffix = moment.hour % 12 or 12, "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def test_a_lock_out_ends_after_the_cool_off(client, ada) -> None:
    for _ in range(5):
        sign_in(client, ada.email, "wrong")
    assert sign_in(client, ada.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    response = sign_in(client, ada.email, PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == ada.pk


def test_the_lock_out_is_per_address_and_ip_so_an_attacker_cannot_lock_out_a_colleague_elsewhere(
        client, ada, tom) -> None:
    for _ in range(5):
        sign_in(client, ada.email, "wrong", ip="203.0.113.9")
    assert sign_in(client, ada.email, PASSWORD, ip="203.0.113.9").status_code == 429
    # Ada at her own desk, and Tom from the attacker's address, still sign in.
    assert sign_in(client, ada.email, PASSWORD, ip="10.0.0.1").status_code == 302
    client.logout()
    assert sign_in(client, tom.email, PASSWORD, ip="203.0.113.9").status_code == 302


def test_changing_the_case_of_the_address_does_not_give_more_tries(client, ada) -> None:
    for variant in ["ada@rwe.example", "ADA@RWE.EXAMPLE", "Ada@Rwe.Example", " ada@rwe.example", "aDa@rwe.example"]:
        response = sign_in(client, variant, "wrong")
    assert response.status_code == 429


def test_a_successful_sign_in_resets_the_count(client, ada) -> None:
    for _ in range(4):
        sign_in(client, ada.email, "wrong")
    assert sign_in(client, ada.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, ada.email, "wrong").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=2)
def test_the_limit_comes_from_settings(client, ada) -> None:
    assert sign_in(client, ada.email, "wrong").status_code == 200
    assert sign_in(client, ada.email, "wrong").status_code == 429


def test_lock_outs_are_audited_without_the_password(client, ada) -> None:
    for _ in range(6):
        sign_in(client, ada.email, "s3cret-guess")
    locked = AuditEvent.objects.filter(event="auth.locked_out").order_by("id")
    assert locked.count() == 2  # the fifth failure and the refused sixth attempt
    event = locked.first()
    assert event is not None
    assert event.details["email"] == ada.email
    assert event.ip_address == "10.0.0.1"
    assert "s3cret-guess" not in str(list(AuditEvent.objects.values_list("summary", "details")))
    assert AuditEvent.objects.filter(event="auth.sign_in_failed").count() == 6


def test_the_lock_out_settings_are_read_from_the_environment() -> None:
    env = production_env(DJANGO_SETTINGS_MODULE="strikeops.settings", AXES_FAILURE_LIMIT="3",
                         AXES_COOLOFF_MINUTES="10")
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.AXES_LOCKOUT_PARAMETERS)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3 600 [['username', 'ip_address']]"


@pytest.mark.parametrize(("password", "message"), [
    ("short-1", "This password is too short. It must contain at least 12 characters."),
    ("password1234", "This password is too common."),
    ("814362957201", "This password is entirely numeric."),
    ("ada@rwe.example!", "The password is too similar to the email address."),
])
def test_weak_passwords_are_refused(ada, password: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_password(password, user=ada)
    assert message in error.value.messages


def test_the_session_cookie_ends_with_the_browser_and_cannot_be_read_by_script(client, ada) -> None:
    response = sign_in(client, ada.email, PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # On the server it lasts at most SESSION_COOKIE_AGE (8 hours) after sign-in.
    assert 0 < client.session.get_expiry_age() <= 8 * 60 * 60


def test_production_settings_make_cookies_secure() -> None:
    env = production_env(DJANGO_SETTINGS_MODULE="strikeops.settings")
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, "
            "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.OTP_REQUIRED_FOR_NATIONAL_MANAGERS)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True", "True", "31536000", "True"]
