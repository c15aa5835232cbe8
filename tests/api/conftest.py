"""API test helpers: a token per person (the secret, as a client would hold it) and JSON calls."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from trusts.models import User
from trusts.services.api_tokens import api_token_create


@pytest.fixture(autouse=True)
def roomy_throttles(settings):
    """Throttling has its own tests; elsewhere the limits stay out of the way. Counters live in
    the cache, so each test starts with none."""
    settings.API_THROTTLE_RATES = {"token": "100000/minute", "anon": "100000/minute"}
    cache.clear()
    yield
    cache.clear()


def token_for(user: User, name: str = "PAS") -> str:
    return api_token_create(user=user, name=name).secret


class Api:
    """Calls the API as a client system would: JSON in, JSON out, a bearer token or none."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __call__(self, method: str, path: str, user: User | str | None = None, data: Any = None,
                 **params: Any) -> Any:
        headers = {}
        if user is not None:
            secret = user if isinstance(user, str) else token_for(user)
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        call = getattr(self.client, method.lower())
        if method.upper() == "GET":
            response = call(path, params, **headers)
        else:
            response = call(path, json.dumps(data) if data is not None else "", content_type="application/json",
                            **headers)
        response.body = response.json() if response.get("Content-Type", "").startswith("application/json") \
            else None
        return response


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Move the services' clock (trusts.clock) to a moment."""
    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr("trusts.clock.now", lambda: moment)
    return move
