"""Production-like smoke test: the Procfile's web (gunicorn), worker and beat processes against a
fresh PostgreSQL database and Redis, with production settings (DEBUG off, WhiteNoise's manifest,
a random secret), driven over real HTTP like a browser without JavaScript: a trust administrator
submits a return through the form, a communications officer sends a 3-recipient campaign through
the development (log) channel, and the database shows the return and every message sent once.

Plain HTTP on localhost, so the secure-cookie and HTTPS-redirect settings are turned off; nothing
else differs from docs/deployment.md. Every process is stopped and the database dropped, pass or fail.
"""

from __future__ import annotations

import datetime as dt
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import REPO, free_port, port_open, redis_available, require_service

pytestmark = [pytest.mark.smoke, pytest.mark.timeout(180)]

BUDGET_SECONDS = 120
PASSWORD = secrets.token_urlsafe(16)
SLUG = "smoke-test-action"



def procfile() -> dict[str, str]:
    entries = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def wait_for(condition: Callable[[], bool], deadline: float, what: str, logs: Callable[[], str]) -> None:
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}\n{logs()}")


# --- The database, the environment and the processes ----------------------------------------------

def _server() -> dict[str, Any]:
    db = connection.settings_dict
    return {"host": db["HOST"] or "127.0.0.1", "port": int(db["PORT"] or 5432), "user": db["USER"],
            "password": db["PASSWORD"] or None}


@pytest.fixture(scope="module")
def smoke_database() -> Iterator[str]:
    """A database of its own (smoke_<pid>), created here and dropped afterwards."""
    server = _server()
    require_service("PostgreSQL", port_open(server["host"], server["port"]), f"nothing on {server['port']}")
    name = f"smoke_{os.getpid()}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    try:
        yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Processes:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.workdir = env, workdir
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True,
                              timeout=timeout, check=False)
        output = (done.stdout + done.stderr).decode(errors="replace")
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{output}"
        return output

    def start(self, name: str, command: str) -> None:
        # As a Procfile runner does: through the shell (the ${VAR:-default}s), the venv first on PATH.
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.running[name] = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=REPO, env=self.env,
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def logs(self) -> str:
        return "\n".join(f"--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.workdir.glob("*.log")))

    def stop(self) -> None:
        """Each process group we started: TERM, then KILL whatever is left after 10 seconds."""
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


@pytest.fixture(scope="module")
def stack(smoke_database: str) -> Iterator[tuple[str, Processes, float]]:
    redis_url = settings.TEST_REDIS_URL
    require_service("Redis", redis_available(redis_url), f"start redis-server or set TEST_REDIS_URL ({redis_url})")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    started = time.monotonic()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="strikeops-smoke-") as workdir:
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": workdir, "LANG": "C.UTF-8", "PYTHONPATH": str(REPO),
            "DJANGO_SETTINGS_MODULE": "strikeops.settings",
            "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
            "DATABASE_URL": smoke_database, "REDIS_URL": redis_url, "DELIVERY_CHANNEL": "log",
            "STATIC_ROOT": f"{workdir}/static", "SITE_URL": f"https://127.0.0.1:{port}",
            "MESSAGING_HASH_KEY": secrets.token_urlsafe(32),
            "PORT": str(port), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2", "CELERY_CONCURRENCY": "2",
            "CELERY_BEAT_SCHEDULE_FILE": f"{workdir}/celerybeat-schedule", "CELERY_LOG_LEVEL": "INFO",
            "SMOKE_PASSWORD": PASSWORD,
        }
        processes = Processes(env, Path(workdir))
        try:
            processes.run("migrate", "--noinput", timeout=90)
            # The manifest WhiteNoise serves from (tests/smoke/static_settings.py says why no compression).
            processes.env = {**env, "DJANGO_SETTINGS_MODULE": "tests.smoke.static_settings"}
            processes.run("collectstatic", "--noinput", "-v0", timeout=90)
            processes.env = env
            processes.run("shell", "-c", "from tests.smoke.world import build; build()", timeout=90)
            for name, command in procfile().items():
                processes.start(name, command)
            base = f"http://127.0.0.1:{port}"
            wait_for(lambda: _up(base), started + 60, "gunicorn to answer", processes.logs)
            yield base, processes, started
        finally:
            processes.stop()
            redis.Redis.from_url(redis_url).flushdb()


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


# --- A browser without JavaScript ----------------------------------------------------------------

class Browser:
    """A cookie jar, the CSRF token from each form, redirects followed like a browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.page = ""
        self.url = ""

    def get(self, path: str) -> str:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page)
        assert token, f"no CSRF token on {self.url}"
        fields = {"csrfmiddlewaretoken": token.group(1), **fields}
        headers = {"Referer": self.url}
        if files:
            boundary = uuid.uuid4().hex
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                     for k, v in fields.items()]
            parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                      f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n"
                      for k, (name, content) in files.items()]
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self._open(urllib.request.Request(self.base + path, data=body, headers=headers))

    def _open(self, request: urllib.request.Request) -> str:
        try:
            with self.opener.open(request, timeout=30) as response:
                self.page, self.url = response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            pytest.fail(f"{request.get_method()} {request.full_url} answered {error.code}:\n"
                        f"{error.read().decode(errors='replace')[:3000]}")
        return self.page

    def sign_in(self, email: str) -> None:
        self.get("/sign-in/")
        self.post("/sign-in/", {"username": email, "password": PASSWORD})
        assert "Sign out" in self.page, f"{email} could not sign in:\n{self.page[:3000]}"


def query(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as db:
        return db.execute(sql).fetchall()


# --- The test -------------------------------------------------------------------------------------

def test_web_worker_and_beat_from_the_procfile_take_a_return_and_send_a_campaign(stack, smoke_database) -> None:
    base, processes, started = stack
    deadline = started + BUDGET_SECONDS
    day = query(smoke_database, "SELECT date FROM trusts_strikeday")[0][0]
    assert isinstance(day, dt.date)
    assert "/static/nhsuk/nhsuk-frontend." in Browser(base).get("/")  # WhiteNoise's hashed names

    # A trust administrator submits yesterday's return through the form and its check-your-answers page.
    ada = Browser(base)
    ada.sign_in("ada@rwe.example")
    edit = f"/returns/RWE/{SLUG}/{day.isoformat()}/edit/"
    ada.get(edit)
    ada.post(edit, {"version": "0", "continue": "", "staff_absent": "700", "staff_due": "2,000",
                    "elective_rescheduled": "40", "outpatient_rescheduled": "500", "community_rescheduled": "10",
                    "mental_health_rescheduled": "3", "elective_planned": "", "outpatient_planned": ""})
    assert ada.url.endswith("/check/"), ada.page[:3000]
    ada.post(ada.url.removeprefix(base), {})
    assert ada.url.endswith("/submitted/"), ada.page[:3000]
    assert query(smoke_database, "SELECT status, staff_absent, outpatient_rescheduled, source FROM "
                                 "trusts_dailyreturn") == [("submitted", 700, 500, "web")]

    # A communications officer sends a 3-recipient campaign through the development channel.
    chris = Browser(base)
    chris.sign_in("chris@rwe.example")
    chris.get("/messages/RWE/send/")
    [(template,)] = query(smoke_database, "SELECT id FROM notices_messagetemplate WHERE name = 'Smoke apology'")
    assert f'value="{template}"' in chris.page and "Smoke apology" in chris.page
    chris.post("/messages/RWE/send/", {"template": str(template), "action": SLUG, "continue": ""})
    assert "/send/upload/" in chris.url, chris.page[:3000]
    recipients = b"email address,name\r\nann@example.com,Ann\r\nbob@example.com,Bob\r\ncy@example.com,Cy\r\n"
    chris.post(chris.url.removeprefix(base), {"template": str(template), "action": SLUG},
               files={"file": ("patients.csv", recipients)})
    campaign = re.search(r"/messages/RWE/campaigns/(\d+)/$", chris.url)
    assert campaign, chris.page[:3000]
    chris.post(chris.url.removeprefix(base), {"when": "now", "send": ""})
    assert "Sending 3 messages" in chris.page

    # The worker sends each message once; the campaign finishes.
    def sent() -> bool:
        return query(smoke_database, "SELECT status FROM notices_campaign") == [("sent",)]

    wait_for(sent, deadline, "the campaign to be sent", processes.logs)
    deliveries = query(smoke_database, "SELECT status, attempts FROM notices_delivery ORDER BY id")
    assert deliveries == [("delivered", 1)] * 3
    for name, process in processes.running.items():
        assert process.poll() is None, f"{name} exited with {process.returncode}\n{processes.logs()}"
    assert "beat: Starting" in (processes.workdir / "beat.log").read_text()
    _check_operations(base, processes.workdir)
    assert time.monotonic() - started < BUDGET_SECONDS
    print(f"smoke: {time.monotonic() - started:.1f} s from an empty database to a sent campaign")


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _check_operations(base: str, workdir: Path) -> None:
    """The probes answer a load balancer that probes by IP address; the web and worker logs are JSON
    lines, and the request that sent the campaign and the worker's lines for it share one request id."""
    port = int(base.rsplit(":", 1)[1])
    for path, expected in (("/healthz", {"status": "ok"}), ("/readyz", None)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers={"Host": "10.0.0.9"})
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
        assert response.status == 200, (path, body)
        if expected is not None:
            assert body == expected
        else:
            assert body["status"] == "ready" and all(c["ok"] for c in body["checks"].values()), body
    web = _json_lines(workdir / "web.log")
    sends = [line for line in web if line.get("logger") == "strikeops.requests" and line["method"] == "POST"
             and line["route"] == "/messages/<str:ods_code>/campaigns/<int:pk>/"]
    assert sends, "no JSON request line for the campaign's send"
    request_id = sends[-1]["request_id"]
    worker = _json_lines(workdir / "worker.log")
    assert any(line.get("request_id") == request_id for line in worker), \
        f"no worker log line carries the send request's id {request_id}"
