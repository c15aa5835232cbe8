"""API tokens: created on the account page and shown once, stored hashed, acting as their user,
revoked by their user only, last use recorded at most once a minute, and throttled per token."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import token_for
from tests.conftest import PASSWORD
from trusts.models import ApiToken, AuditEvent
from trusts.services.api_tokens import TokenLimitReached, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db
ACTIONS = "/api/v1/actions/"


def _secret_on(page: str) -> str:
    match = re.search(r'<p class="api-token" id="api-token">([A-Za-z0-9_-]+)</p>', page)
    assert match, page
    return match.group(1)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client, ada) -> None:
    client.force_login(ada)
    response = client.post("/account/tokens/", {"name": "PAS nightly returns", "proof": PASSWORD})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = _secret_on(response.content.decode())
    assert len(secret) >= 43  # 32 random bytes
    token = ApiToken.objects.get(user=ada)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8] and token.name == "PAS nightly returns"
    # Nowhere in the table, and never on the page again.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM trusts_apitoken")
        assert not any(secret in str(value) for row in cursor.fetchall() for value in row)
    listing = client.get("/account/tokens/").content.decode()
    assert secret not in listing and token.prefix in listing and "PAS nightly returns" in listing
    assert AuditEvent.objects.filter(event="api_token.created", actor=ada).exists()


def test_the_token_acts_as_its_user(api, client, ada) -> None:
    client.force_login(ada)
    secret = _secret_on(client.post("/account/tokens/", {"name": "PAS", "proof": PASSWORD}).content.decode())
    client.logout()
    assert api("GET", ACTIONS, secret).status_code == 200


def test_a_name_is_required(client, ada) -> None:
    client.force_login(ada)
    response = client.post("/account/tokens/", {"name": "  ", "proof": PASSWORD})
    assert response.status_code == 200 and "Enter a name for the token" in response.content.decode()
    assert "<title>Error: " in response.content.decode()
    assert not ApiToken.objects.exists()


def test_at_most_the_configured_number_of_active_tokens(client, ada, settings) -> None:
    settings.API_TOKENS_PER_USER = 2
    first = api_token_create(user=ada, name="one").token
    api_token_create(user=ada, name="two")
    with pytest.raises(TokenLimitReached):
        api_token_create(user=ada, name="three")
    client.force_login(ada)
    answer = client.post("/account/tokens/", {"name": "three", "proof": PASSWORD}).content.decode()
    assert "You can have up to 2 tokens" in answer
    api_token_revoke(token=first, user=ada)
    api_token_create(user=ada, name="three")


def test_revoking_stops_the_token_at_once(api, client, ada) -> None:
    secret = token_for(ada)
    token = ApiToken.objects.get(user=ada)
    client.force_login(ada)
    assert "stops working at once" in client.get(f"/account/tokens/{token.pk}/revoke/").content.decode()
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    denied = api("GET", ACTIONS, secret)
    assert denied.status_code == 401
    assert denied.body["error"]["message"] == "The token is not valid, or has been revoked."
    assert AuditEvent.objects.filter(event="api_token.revoked", actor=ada).exists()
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 404  # already revoked


def test_nobody_can_revoke_someone_elses_token(client, ada, tom) -> None:
    token_for(ada, "Leicester PAS")
    token = ApiToken.objects.get(user=ada)
    client.force_login(tom)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    page = client.get("/account/tokens/").content.decode()
    assert "Leicester PAS" not in page and token.prefix not in page
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_page_needs_sign_in(client) -> None:
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_unknown_malformed_and_deactivated_tokens_are_refused(api, ada) -> None:
    secret = token_for(ada)
    assert api("GET", ACTIONS, "not-a-real-token").status_code == 401
    assert api.client.get(ACTIONS, HTTP_AUTHORIZATION=f"Bearer {secret} extra").status_code == 401
    assert api.client.get(ACTIONS, HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401  # not our scheme
    ada.is_active = False
    ada.save()
    assert api("GET", ACTIONS, secret).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(api, at, ada) -> None:
    secret = token_for(ada)
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    at(start)
    api("GET", ACTIONS, secret)
    token = ApiToken.objects.get()
    assert token.last_used_at == start
    at(start + dt.timedelta(seconds=30))
    with CaptureQueriesContext(connection) as queries:
        api("GET", ACTIONS, secret)
    assert not any("UPDATE" in q["sql"] and "apitoken" in q["sql"] for q in queries.captured_queries)
    token.refresh_from_db()
    assert token.last_used_at == start
    at(start + dt.timedelta(seconds=61))
    api("GET", ACTIONS, secret)
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_throttling_is_per_token(api, ada, settings) -> None:
    settings.API_THROTTLE_RATES = {"token": "3/minute", "anon": "100/minute"}
    first, second = token_for(ada, "one"), token_for(ada, "two")
    assert [api("GET", ACTIONS, first).status_code for _ in range(3)] == [200, 200, 200]
    limited = api("GET", ACTIONS, first)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert limited.body["error"]["code"] == "throttled"
    assert limited.body["error"]["message"].startswith("Too many requests with this token")
    assert api("GET", ACTIONS, second).status_code == 200  # the user's other system has its own allowance


def test_public_endpoints_are_throttled_per_address(api, settings) -> None:
    settings.API_THROTTLE_RATES = {"token": "100/minute", "anon": "2/minute"}
    assert [api("GET", "/api/v1/releases/").status_code for _ in range(3)] == [200, 200, 429]


def test_the_list_shows_when_each_token_expires_and_which_have(client, ada) -> None:
    from django.utils import timezone

    client.force_login(ada)
    current = api_token_create(user=ada, name="current").token
    old = api_token_create(user=ada, name="old").token
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    page = client.get("/account/tokens/").content.decode()
    assert "<th class=\"nhsuk-table__header\" scope=\"col\">Expires</th>" in page
    assert timezone.localtime(current.expires_at).strftime("%-d %B %Y") in page
    rows = {name: row for row in page.split("<tr class=\"nhsuk-table__row\">")[1:]
            for name in ("current", "old") if f">{name}<" in row}
    assert "Expired" in rows["old"] and "Revoke" not in rows["old"]
    assert "Active" in rows["current"] and "Revoke" in rows["current"]
