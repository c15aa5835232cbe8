"""Refuses requests whose path or query carries a NUL or other control character, before any view
can hand the text to PostgreSQL, which refuses NUL in text and would turn it into a 500: a path
answers the branded 404 (no page has such an address; the API documents 404 for every path, not
400), a query the branded 400 (the API's JSON shapes under /api/)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# C0 controls and DEL: never part of a real address, slug, code or search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from trusts.views.errors import bad_request, page_not_found

        if CONTROL_CHARACTERS.search(request.path):
            return page_not_found(request)
        if any(CONTROL_CHARACTERS.search(value) for _, values in request.GET.lists() for value in values):
            return bad_request(request)
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Every page and download a signed-in person sees may carry patient contacts, subscriber
    addresses or unpublished figures: no browser or proxy may keep a copy (`Cache-Control: no-store`).
    Responses that already say how to cache (the public pages) keep their own header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
