"""Setting up, checking and removing a user's authenticator app (TOTP), each audited."""

from __future__ import annotations

import base64
import enum
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from trusts.otp import confirmed_device
from trusts.services.audit import audit_record

DEVICE_NAME = "Authenticator app"


class CodeResult(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    THROTTLED = "throttled"


def two_factor_pending_device(*, user: Any) -> TOTPDevice:
    """The unconfirmed device whose secret the set-up page shows (the same one on every visit,
    so that reloading the page does not invalidate a QR code already scanned)."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def _check(device: TOTPDevice, code: str) -> CodeResult:
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return CodeResult.THROTTLED
    return CodeResult.ACCEPTED if device.verify_token(code) else CodeResult.WRONG


def two_factor_confirm(*, user: Any, device: TOTPDevice, code: str, request: HttpRequest) -> CodeResult:
    """Confirm a pending device with its first code; the session counts as verified."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        if locked is None:  # confirmed or replaced in another tab meanwhile
            return CodeResult.WRONG
        device = locked
        result = _check(device, code)
        if result is CodeResult.ACCEPTED:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # Any other pending set-up (another browser tab) is now meaningless.
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            audit_record(event="auth.two_factor_added", summary=f"{user.email} set up two-factor authentication",
                         actor=user, request=request)
        else:
            audit_record(event="auth.two_factor_failed", summary=f"Wrong code setting up two-factor for {user.email}",
                         actor=user, details={"reason": result.value, "stage": "set-up"}, request=request)
    if result is CodeResult.ACCEPTED:
        django_otp.login(request, device)
    return result


def two_factor_verify(*, user: Any, code: str, request: HttpRequest) -> CodeResult:
    """Check a code for this session. django-otp throttles wrong codes with a growing delay."""
    with transaction.atomic():
        device = confirmed_device(user)
        if device is None:
            return CodeResult.WRONG
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        result = _check(device, code)
        if result is CodeResult.ACCEPTED:
            audit_record(event="auth.two_factor_verified", summary=f"{user.email} entered a two-factor code",
                         actor=user, request=request)
        else:
            audit_record(event="auth.two_factor_failed", summary=f"Wrong two-factor code for {user.email}",
                         actor=user, details={"reason": result.value, "stage": "sign-in"}, request=request)
    if result is CodeResult.ACCEPTED:
        django_otp.login(request, device)
    return result


def two_factor_remove(*, user: Any, request: HttpRequest) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit_record(event="auth.two_factor_removed", summary=f"{user.email} turned off two-factor authentication",
                     actor=user, request=request)


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// set-up link as an SVG QR code in a data: URI: drawn here, never by an
    outside image service (which would see the secret)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg: bytes = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def secret_for_manual_entry(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for apps set up by typing rather than scanning."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
