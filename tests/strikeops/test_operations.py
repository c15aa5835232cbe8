"""Operating the service: health probes, request ids on responses, log lines and tasks, JSON logs
and the error tracker's scrubbing (strikeops/operations.py, docs/deployment.md)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.signals import before_task_publish
from django.conf import settings
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from django_guid import clear_guid, get_guid, set_guid

from strikeops.operations import sentry_before_send

REPO = Path(__file__).resolve().parents[2]
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _probe(path: str, **headers: Any) -> Any:
    return Client().get(path, HTTP_HOST="10.0.4.17", **headers)


@override_settings(ALLOWED_HOSTS=["strikeops.example.nhs.uk"], SECURE_SSL_REDIRECT=True)
def test_healthz_answers_any_host_without_touching_dependencies(db) -> None:
    # A probe by IP address, over plain HTTP: neither a 400 (host) nor a 301 (HTTPS redirect).
    response = _probe("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response
    # Other paths still go through host validation.
    assert _probe("/notices/").status_code == 400


@override_settings(ALLOWED_HOSTS=["strikeops.example.nhs.uk"], SECURE_SSL_REDIRECT=True)
def test_readyz_reports_each_check_when_ready(db) -> None:
    with override_settings(REDIS_URL=settings.TEST_REDIS_URL):
        response = _probe("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "redis"}
    assert all(check["ok"] for check in body["checks"].values())


@override_settings(ALLOWED_HOSTS=["strikeops.example.nhs.uk"], REDIS_URL=DEAD_REDIS)
def test_readyz_is_503_when_redis_is_unreachable(db) -> None:
    response = _probe("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    # The driver's message (host, port) is not repeated to an unauthenticated caller.
    assert "127.0.0.1" not in response.content.decode()


@override_settings(REDIS_URL="")
def test_readyz_is_503_while_a_migration_is_unapplied(db) -> None:
    latest = MigrationRecorder.Migration.objects.filter(app="notices").order_by("-applied").first()
    assert latest is not None
    latest.delete()  # rolled back with the test's transaction
    response = _probe("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "ok": False, "error": "RuntimeError", "milliseconds": response.json()["checks"]["migrations"]["milliseconds"]}


def test_probes_refuse_other_methods(db) -> None:
    response = Client().post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_every_response_carries_a_request_id_and_a_valid_incoming_one_is_kept(db) -> None:
    generated = Client().get("/notices/")
    assert len(generated["X-Request-ID"]) == 32
    incoming = uuid.uuid4().hex
    kept = Client().get("/notices/", HTTP_X_REQUEST_ID=incoming)
    assert kept["X-Request-ID"] == incoming
    # Anything else a client sends is replaced, so a log line cannot be forged through it.
    forged = Client().get("/notices/", HTTP_X_REQUEST_ID="x\nlevel=ERROR")
    assert forged["X-Request-ID"] != "x\nlevel=ERROR"
    assert len(forged["X-Request-ID"]) == 32


def test_one_log_line_per_request_with_the_route_not_the_secret_path(db, caplog) -> None:
    secret = "c2VjcmV0LXVpZA/set-password-token-abc123"
    with caplog.at_level(logging.INFO, logger="strikeops.requests"):
        response = Client().get(f"/password-reset/{secret}/", HTTP_X_REQUEST_ID="a" * 32)
    lines = [r for r in caplog.records if r.name == "strikeops.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert line.status == response.status_code
    assert line.route == "/password-reset/<uidb64>/<token>/"
    assert line.correlation_id == "a" * 32
    assert "set-password-token" not in caplog.text


def test_production_logs_are_one_json_object_a_line_with_the_request_id() -> None:
    """A real process with LOG_FORMAT=json: every line it writes is JSON and the request line
    carries the same id as the response header."""
    script = (
        "import django, logging; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); r = Client().get('/accessibility/');"
        "logging.getLogger('strikeops.test').warning('done');"
        "print(r['X-Request-ID'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": "json"}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    request_id = done.stdout.strip().splitlines()[-1]
    records = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert records, done.stderr
    request_lines = [r for r in records if r["logger"] == "strikeops.requests"]
    assert [r["route"] for r in request_lines] == ["/accessibility/"]  # probes are not logged
    assert request_lines[0]["request_id"] == request_id
    assert request_lines[0]["status"] == 200
    assert {"time", "level", "logger", "message"} <= set(records[-1])


def test_a_task_queued_during_a_request_carries_its_request_id_into_the_worker() -> None:
    """Through a real (in-process, in-memory broker) worker: the id set while the task was queued is
    the id the task's own log lines carry."""
    from celery.contrib.testing.worker import start_worker

    app = Celery("request-id-test", broker="memory://", backend="cache+memory://")
    app.conf.task_always_eager = False
    seen: dict[str, Any] = {}

    @app.task(name="request_id_test.echo")
    def echo() -> str:
        return str(get_guid())

    def capture(headers: dict[str, Any], **kwargs: Any) -> None:
        seen.update(headers)

    before_task_publish.connect(capture)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            set_guid("b" * 32)
            result = echo.delay()
            clear_guid()
            assert result.get(timeout=20) == "b" * 32
    finally:
        before_task_publish.disconnect(capture)
        clear_guid()
    assert seen["X-Request-ID"] == "b" * 32


def test_the_error_tracker_receives_no_personal_data() -> None:
    event = {
        "request": {"method": "POST", "url": "https://s.example/notices/trusts/RWE/x/subscribe/?email=a@b.nhs.uk",
                    "data": {"email": "patient@example.com"}, "cookies": {"sessionid": "s"},
                    "query_string": "email=a@b.nhs.uk",
                    "headers": {"X-Request-ID": "c" * 32, "Cookie": "sessionid=s", "Referer": "x"}},
        "user": {"id": 7, "email": "ada@example.nhs.uk", "ip_address": "10.1.1.1"},
        "exception": {"values": [{"type": "SMTPRecipientsRefused",
                                  "value": "{'patient@example.com': (550, b'User unknown')}",
                                  "stacktrace": {"frames": [{"function": "send", "vars": {"to": "07700900123"}}]}}]},
        "logentry": {"message": "Refused %s", "params": ["patient@example.com"],
                     "formatted": "Refused patient@example.com"},
        "breadcrumbs": {"values": [{"category": "strikeops", "message": "to patient@example.com",
                                    "data": {"to": "patient@example.com"}}]},
        "extra": {"recipient": "patient@example.com"},
    }
    scrubbed = sentry_before_send(event, {})
    assert scrubbed is not None
    text = json.dumps(scrubbed)
    for personal in ("patient@example.com", "a@b.nhs.uk", "ada@example.nhs.uk", "07700900123", "10.1.1.1",
                     "sessionid"):
        assert personal not in text
    assert scrubbed["request"]["headers"] == {"X-Request-ID": "c" * 32}
    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["exception"]["values"][0]["type"] == "SMTPRecipientsRefused"


@pytest.mark.parametrize("value", ["yes-please", "xml"])
def test_log_format_is_checked(value: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": value}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "LOG_FORMAT" in done.stderr


SENTRY_CHILD = r'''
import sys, types
import django
django.setup()
import sentry_sdk
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

def boom(request):
    raise RuntimeError("refused patient@example.com 07700900123")

urls = types.ModuleType("sentry_child_urls")
urls.urlpatterns = [path("boom/", boom)]
sys.modules["sentry_child_urls"] = urls
with override_settings(ROOT_URLCONF="sentry_child_urls"):
    Client(raise_request_exception=False).post(
        "/boom/?email=patient@example.com", {"email": "patient@example.com", "phone": "07700900123"},
        HTTP_X_REQUEST_ID="d" * 32)
sentry_sdk.flush(timeout=10)
'''


def test_with_sentry_dsn_set_an_error_reaches_the_tracker_without_personal_data() -> None:
    """A real process with SENTRY_DSN pointing at a local HTTP server standing in for Sentry."""
    import gzip
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[bytes] = []

    class Sentry(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Sentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
               "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_port}/1"}
        subprocess.run([sys.executable, "-c", SENTRY_CHILD], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=120, check=True)
    finally:
        server.shutdown()
    envelope = b"\n".join(received).decode()
    assert "RuntimeError" in envelope  # the error did reach the tracker
    assert "d" * 32 in envelope  # with the request id
    for personal in ("patient@example.com", "07700900123"):
        assert personal not in envelope
