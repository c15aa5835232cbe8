"""Re-authentication (password or current code) before turning two-factor off or minting an API
token, an email to the user after either, API tokens that expire, and a case-insensitive Bearer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.security.helpers import allow_code_reuse, confirmed_totp_device, current_code, force_login_verified
from trusts import clock
from trusts.models import ApiToken
from trusts.services.api_tokens import api_token_create

pytestmark = pytest.mark.django_db


def test_turning_two_factor_off_needs_the_password_or_a_code_and_emails_the_user(
        client, ada, mailoutbox, django_capture_on_commit_callbacks) -> None:
    device = force_login_verified(client, ada)
    refused = client.post("/account/two-factor/turn-off/", {"proof": "not my password"})
    assert refused.status_code == 200
    assert "The password or security code is not correct" in refused.content.decode()
    assert ada.totpdevice_set.filter(confirmed=True).exists()
    allow_code_reuse(device)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/account/two-factor/turn-off/", {"proof": current_code(device)})
    assert done.status_code == 302 and not ada.totpdevice_set.exists()
    [email] = mailoutbox
    assert email.to == [ada.email] and email.subject == "Two-factor authentication was turned off for your account"
    assert "If this was not you" in email.body


def test_minting_a_token_needs_the_password_and_emails_the_user(
        client, ada, mailoutbox, django_capture_on_commit_callbacks) -> None:
    client.force_login(ada)
    refused = client.post("/account/tokens/", {"name": "PAS", "proof": "guess"})
    assert "The password or security code is not correct" in refused.content.decode()
    assert not ApiToken.objects.exists() and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/account/tokens/", {"name": "PAS", "proof": PASSWORD}).content.decode()
    token = ApiToken.objects.get()
    assert token.expires_at.date() == (clock.now() + dt.timedelta(days=90)).date()
    assert f"It works until <strong>{token.expires_at:%-d %B %Y}" in page
    [email] = mailoutbox
    assert email.to == [ada.email] and "A new API token was created" in email.subject


def test_a_token_stops_working_when_it_expires(ada, settings, monkeypatch) -> None:
    settings.API_TOKEN_LIFETIME_DAYS = 7
    secret = api_token_create(user=ada, name="short").secret
    client = Client()
    assert client.get("/api/v1/returns/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    later = clock.now() + dt.timedelta(days=7, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = client.get("/api/v1/returns/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(ada, scheme: str) -> None:
    secret = api_token_create(user=ada, name="case").secret
    assert Client().get("/api/v1/returns/", HTTP_AUTHORIZATION=f"{scheme} {secret}").status_code == 200


def test_a_code_also_confirms_identity_for_a_token(client, ada) -> None:
    device = confirmed_totp_device(ada)
    force_login_verified(client, ada)
    allow_code_reuse(device)
    client.post("/account/tokens/", {"name": "by code", "proof": current_code(device)})
    assert ApiToken.objects.filter(name="by code").exists()
