"""Public pages served to anonymous readers from a shared cache, with HTTP caching headers.

On a strike day a trust's notice is linked from national news: thousands of readers arrive at once,
and none of them is signed in. Every public page (notices, feeds, open data, releases, the public
API, the strike calendar) goes through `serve_public`:

- an anonymous GET (no session cookie, no Authorization header) is answered from the Django cache
  (Redis in production) when the stored copy was made at the current *public data version*, else
  rendered once and stored;
- it carries `Cache-Control: public, max-age=PUBLIC_CACHE_MAX_AGE`, a strong `ETag` (a hash of the
  body, so equal bytes give equal tags on every web machine) and `Vary: Cookie, Authorization`, and a
  matching `If-None-Match` gets 304 with no body;
- anything signed in is rendered as before and marked `Cache-Control: private`.

The version is one value in the cache, replaced (never incremented: a lost key must never make an
old copy current again) after every commit that changes what a public page shows: notices and their
versions, releases, actions and their strike days, trusts and areas (`PUBLIC_MODELS`, connected in
`connect_invalidation`). Stored pages also expire after PUBLIC_CACHE_TIMEOUT, which bounds what
random query strings can fill.

When the cache cannot be reached the page is rendered uncached (still with its headers and ETag):
slower, never an error.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_http_date_safe

from strikeops.cache import CACHE_ERRORS

if TYPE_CHECKING:
    from rest_framework.response import Response

logger = logging.getLogger(__name__)

VERSION_KEY = "public:version"
PAGE_KEY_PREFIX = "public:page:"
# Headers a view sets that belong to the stored copy; middleware adds the rest on every answer.
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Link", "Last-Modified", "Content-Language")

# What public pages show, per app (each app connects its own in its AppConfig.ready).
PUBLIC_MODELS = {
    "trusts": ("IndustrialAction", "WalkoutWindow", "StrikeDay", "Trust", "ICB", "Region"),
    "reports": ("Release",),
    "notices": ("Notice", "NoticeVersion"),
}




def _new_version() -> str:
    return str(time.time_ns())


def public_data_changed() -> None:
    """Make every stored public page stale: at once, and again when the transaction commits (a
    reader who arrives between the write and the commit stores the old page under the first new
    version; the second makes that copy stale too). A rollback just costs one miss per page."""
    _bump_version()
    transaction.on_commit(_bump_version)


def _bump_version() -> None:
    try:
        cache.set(VERSION_KEY, _new_version(), None)
    except CACHE_ERRORS:
        # Redis is down, so nothing is served from it either. Should it come back with its data, the
        # pages stored before this change expire within PUBLIC_CACHE_TIMEOUT.
        logger.warning("public cache: could not bump the data version; pages are served uncached")


def _on_public_model_change(sender: type[Model], **kwargs: Any) -> None:
    public_data_changed()


def connect_invalidation(app_label: str) -> None:
    from django.apps import apps

    for name in PUBLIC_MODELS[app_label]:
        model = apps.get_model(app_label, name)
        uid = f"public_cache:{app_label}.{name}"
        post_save.connect(_on_public_model_change, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_on_public_model_change, sender=model, dispatch_uid=uid + ":delete")


def is_anonymous_request(request: HttpRequest) -> bool:
    return (request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "HTTP_AUTHORIZATION" not in request.META)


def _page_key(request: HttpRequest) -> str:
    # The full path with its query string; the host is left out (one site), the method too (HEAD
    # is a GET without the body).
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return PAGE_KEY_PREFIX + digest


def _etag(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _read(key: str) -> tuple[str | None, dict[str, Any] | None, bool]:
    """(current version, stored page or None, whether the cache answered)."""
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY)
        if version is None:
            version = _new_version()
            if not cache.add(VERSION_KEY, version, None):  # another process started one first
                version = cache.get(VERSION_KEY)
        return version, found.get(key), True
    except CACHE_ERRORS:
        logger.warning("public cache unreachable: serving %s uncached", key)
        return None, None, False


def _store(key: str, entry: dict[str, Any]) -> None:
    try:
        cache.set(key, entry, settings.PUBLIC_CACHE_TIMEOUT)
    except CACHE_ERRORS:
        logger.warning("public cache unreachable: could not store %s", key)


def _from_entry(entry: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(entry["content"], status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    return response


def _finish(request: HttpRequest, response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_MAX_AGE)
    patch_vary_headers(response, ("Cookie", "Authorization"))
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)
    return response if conditional is None else conditional


def serve_public(request: HttpRequest, render: Callable[[], HttpResponse], *, store: bool = True) -> HttpResponse:
    """Answer a public page: from the cache for anonymous readers, rendered privately otherwise.

    With store=False the view only renders and marks the response (ETag, headers); PublicCacheMiddleware
    reads and stores it, with every header the middleware below it added."""
    if not is_anonymous_request(request):
        response = render()
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ("Cookie", "Authorization"))
        return response
    if store:
        key = _page_key(request)
        version, entry, reachable = _read(key)
        if entry is not None and entry["version"] == version:
            return _finish(request, _from_entry(entry), entry["etag"])
    response = render()
    if response.status_code != 200 or response.streaming:
        return response
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    content = response.content
    etag = _etag(content)
    # A page that set a cookie (a CSRF token in a form) is per-visitor: never stored or shared.
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        logger.error("public page %s set a cookie; it is not cached", request.path)
        patch_cache_control(response, private=True)
        return response
    if not store:
        request.public_page_etag = etag  # type: ignore[attr-defined]
    elif reachable:
        _store(key, {"version": version, "status": 200, "content": content, "etag": etag,
                     "headers": [(name, response[name]) for name in KEPT_HEADERS if name in response]})
    return _finish(request, response, etag)


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for a public view (function, or a callable such as a syndication Feed): its
    anonymous GETs are answered by PublicCacheMiddleware from the cache."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return serve_public(request, lambda: view(request, *args, **kwargs), store=False)

    wrapper.public_page = True  # type: ignore[attr-defined]
    return wrapper


@functools.lru_cache(maxsize=4096)
def _is_public_page(path: str) -> bool:
    try:
        return getattr(resolve(path).func, "public_page", False) is True
    except Resolver404:
        return False


class PublicCacheMiddleware:
    """Answers anonymous GETs of @public_page views from the cache before the session, auth,
    CSRF, two-factor, lock-out and CSP middleware run (the stored copy already carries the headers
    they add to an anonymous answer), and stores what those views render. Sits just below
    SecurityMiddleware and WhiteNoise, whose headers are added to every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_anonymous_request(request) or not _is_public_page(request.path_info):
            return self.get_response(request)
        key = _page_key(request)
        version, entry, reachable = _read(key)
        if entry is not None and entry["version"] == version:
            return _finish(request, _from_entry(entry), entry["etag"])
        response = self.get_response(request)
        etag = getattr(request, "public_page_etag", None)
        if reachable and etag and response.status_code == 200 and not response.cookies and not response.streaming:
            _store(key, {"version": version, "status": 200, "content": response.content, "etag": etag,
                         "headers": list(response.headers.items())})
        return response


class PublicAPIMixin:
    """For a public DRF view: authentication, permission and throttling run first (DRF's `initial`),
    then the GET is answered through `serve_public`. A hit returns a plain HttpResponse, which DRF
    passes through untouched."""

    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        def render() -> HttpResponse:
            response: Response = super(PublicAPIMixin, self).get(request, *args, **kwargs)  # type: ignore[misc]
            response = self.finalize_response(request, response, *args, **kwargs)  # type: ignore[attr-defined]
            response.render()
            return response

        return serve_public(request._request if hasattr(request, "_request") else request, render)
