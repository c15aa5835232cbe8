"""Operating the service: health probes, one log line per request, error tracking.

The probes sit in front of everything else (first in MIDDLEWARE) because a load balancer or
orchestrator probes by IP address: ALLOWED_HOSTS, HTTPS redirects, sessions and CSRF must not
turn a probe into a 400 or a 301. They answer only GET and HEAD at two fixed paths.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_guid import get_guid

log = logging.getLogger("strikeops.requests")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
_PROBE_TIMEOUT_SECONDS = 2


def _check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_migrations() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")


def _check_redis() -> None:
    url = settings.REDIS_URL
    if not url:
        # Local development without Redis runs tasks in-process; nothing to reach.
        return
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=_PROBE_TIMEOUT_SECONDS,
                                  socket_timeout=_PROBE_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "migrations": _check_migrations,
    "redis": _check_redis,
}


def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run every readiness check; the error text is the exception's class, never its message
    (a driver's message can carry a host name or credentials)."""
    results: dict[str, dict[str, Any]] = {}
    for name, check in READINESS_CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # any failure means "not ready", reported by its type
            results[name] = {"ok": False, "error": type(error).__name__}
        else:
            results[name] = {"ok": True}
        results[name]["milliseconds"] = round((time.perf_counter() - started) * 1000, 1)
    return all(result["ok"] for result in results.values()), results


def _probe_response(request: HttpRequest) -> HttpResponse | None:
    if request.path not in (HEALTH_PATH, READY_PATH):
        return None
    if request.method not in ("GET", "HEAD"):
        response: HttpResponse = JsonResponse({"error": "method not allowed"}, status=405)
        response["Allow"] = "GET, HEAD"
    elif request.path == HEALTH_PATH:
        response = JsonResponse({"status": "ok"})
    else:
        ready, checks = readiness()
        response = JsonResponse({"status": "ready" if ready else "not ready", "checks": checks},
                                status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthProbeMiddleware:
    """/healthz (the process answers; no dependency is touched) and /readyz (database, Redis and
    migrations; 503 with each check's result when one fails), for any Host header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return _probe_response(request) or self.get_response(request)


class RequestLogMiddleware:
    """One log line per request, after the response: method, the URL *pattern* (never the raw
    path: password-reset, unsubscribe and confirmation links carry secrets in it, and no query
    string, which can carry search text), status, duration and the user's id. The request id is
    added to the record by django-guid's log filter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        log.info(
            "request",
            extra={
                "method": request.method,
                "route": f"/{match.route}" if match is not None and match.route else "(unrouted)",
                "view": match.view_name if match is not None else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


def sentry_before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Nothing personal leaves for the error tracker: no request body, cookies, query string or
    headers beyond the request id, no user but the id, no local variables, and log messages as
    their templates only (a formatted message can carry a patient's contact details)."""
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers") or {}
        event["request"] = {
            "method": request.get("method"),
            "headers": {k: v for k, v in headers.items() if k.lower() == "x-request-id"},
        }
        match = request.get("url")
        if isinstance(match, str):
            # Keep scheme, host and path shape; drop the query string.
            event["request"]["url"] = match.split("?", 1)[0]
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        # Exception messages are free text (an SMTP refusal names the address): keep the type.
        exception["value"] = ""
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
        logentry.pop("formatted", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        crumb.pop("data", None)
        if crumb.get("category") not in ("query",):
            crumb["message"] = None
    event.pop("extra", None)
    request_id = get_guid()
    if request_id:
        # The same id as the request's log lines and response header.
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(dsn: str, *, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=sentry_before_send,  # type: ignore[arg-type]
    )
