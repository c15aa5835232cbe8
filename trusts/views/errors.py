"""Django's error handlers (strikeops/urls.py handler400/403/404/500, CSRF_FAILURE_VIEW): branded
NHS.UK pages for people, and the API's one JSON error shape under /api/ whatever went wrong
(a body over the size limit, JSON nested too deep to parse, a crash)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from trusts.api.errors import error_json

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_json(status=400, code="bad_request",
                          message="The request could not be read: it is too large or not well formed.")
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_json(status=403, code="forbidden", message="You do not have permission to do this.")
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Django's default page has inline style (blocked by our CSP) and explains CSRF to the public.
    return permission_denied(request)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_json(status=404, code="not_found", message="Not found, or not in your organisations.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return error_json(status=500, code="server_error", message="Sorry, there is a problem with the service.")
    # No request context: this may be answering a lost database connection (see 500.html).
    return HttpResponse(loader.get_template("500.html").render(), status=500)
