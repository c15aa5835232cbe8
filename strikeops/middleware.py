"""Refuses requests whose path or query carries a NUL or other control character with the branded
400 page (or the API's JSON 400), before any view can hand the text to PostgreSQL, which refuses NUL
in text and would turn it into a 500."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# C0 controls and DEL: never part of a real address, slug, code or search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if CONTROL_CHARACTERS.search(request.path) or any(
                CONTROL_CHARACTERS.search(value) for values in request.GET.lists() for value in values[1]):
            from trusts.views.errors import bad_request

            return bad_request(request)
        return self.get_response(request)
