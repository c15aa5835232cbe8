"""Helpers for tests that need two-factor sign-in.

Other tests sign people in with `client.force_login(user)`; tests/settings.py turns off the
two-factor requirement for national managers so that keeps working. A test that turns it on
(override_settings(OTP_REQUIRED_FOR_NATIONAL_MANAGERS=True)) and still wants a signed-in,
verified national manager uses `force_login_verified(client, nia)`.
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_totp_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show now."""
    device.refresh_from_db()
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                    drift=device.drift)).zfill(device.digits)


def allow_code_reuse(device: TOTPDevice) -> None:
    """django-otp refuses a code from a time step already used; tests that sign in twice within
    30 seconds forget the step (and any throttling) in between."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)


def force_login_verified(client: Client, user: Any) -> TOTPDevice:
    """Sign in as if the user had entered their password and a valid code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def production_env(**overrides: str) -> dict[str, str]:
    """A clean environment for running manage.py or settings in a subprocess as production would:
    nothing leaks in from this test run (other tests set delivery channels, async-unsafe flags...)."""
    import os

    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if name in os.environ}
    env.update({"DEBUG": "false", "SECRET_KEY": "x" * 60, "MESSAGING_HASH_KEY": "y" * 40,
                "SITE_URL": "https://strikeops.example.nhs.uk", **overrides})
    return env
