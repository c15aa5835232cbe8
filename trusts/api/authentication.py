"""`Authorization: Bearer <token>`: the token acts as its user, with the user's memberships."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from trusts.models import ApiToken, User
from trusts.services.api_tokens import api_token_for_secret, api_token_touch

KEYWORD = b"bearer"


def api_user(request: Request) -> User:
    """The user of a request that passed IsAuthenticated (every API view's default permission)."""
    user = request.user
    assert isinstance(user, User), "IsAuthenticated lets only signed-in users through"
    return user


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # no token: the view decides whether it is public
        if len(parts) != 2:
            raise AuthenticationFailed("Give the token after the word Bearer, with one space between them.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("The token is not valid.") from None
        token = api_token_for_secret(secret)
        if token is None:
            # One message for unknown, revoked and deactivated: nothing to learn from the difference.
            raise AuthenticationFailed("The token is not valid, or has been revoked.")
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 when no token is given.
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "trusts.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer",
                "description": "An API token from /account/tokens/, as `Authorization: Bearer <token>`."}
