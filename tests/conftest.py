"""Shared fixtures: the real trusts, a fixed cast of users, and checks for real services.

The cast (after healthchecks' Alice/Bob/Charlie), so that permission tests read as sentences:
- ada: trust administrator of RWE (Leicester)
- chris: communications officer of RWE
- tom: trust administrator of RX1 (Nottingham), another trust in the same region
- morgan: regional manager for Midlands (Y60)
- sam: regional manager for London (Y56)
- nia: national manager
- pat: signed in, with no membership at all
"""

from __future__ import annotations

import os
import shutil
import socket
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command

from trusts.models import Membership, Region, Role, Trust, User


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """The cache outlives each test's rolled-back data: public pages stored by an earlier test
    (strikeops/public_cache.py) and the API's throttle counters (one client address for the whole
    suite would reach the anonymous limit). Each test starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing uses now, for a test's own server (SMTP sink, fake
    Notify, gunicorn): the operating system picks it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
TRUSTS_CSV = REPO / "trusts" / "data" / "trusts.csv"
PASSWORD = "correct-horse-battery-staple"
IN_CI = os.environ.get("CI", "").lower() == "true"


# A test that uses one of these fixtures gets the marker, so that `make test-fast` (-m "not browser and
# not worker and not smoke") leaves it out even if its module forgot to say so.
MARKED_BY_FIXTURE = {"celery_worker_process": "worker", "page": "browser", "browser": "browser"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in MARKED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None:
                item.add_marker(getattr(pytest.mark, marker))


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    return [
        f"strikeops: database engine {db['ENGINE']} name {db['NAME']}",
        f"strikeops: redis for worker tests {settings.TEST_REDIS_URL}; CI={IN_CI}",
    ]


def require_service(name: str, available: bool, how: str) -> None:
    """A missing service fails the test, on a laptop as in CI: nothing skips (`make test` starts
    PostgreSQL and Redis itself when DATABASE_URL and TEST_REDIS_URL are unset)."""
    if not available:
        pytest.fail(f"{name} is not available: {how}")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def chromium_path() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def load_reference_data() -> None:
    """The 7 regions (by migration 0002's own function, as a deployment gets them) and 209 real
    trusts, loaded by the real import command."""
    if Trust.objects.count() < 209:
        import_module("trusts.migrations.0002_load_regions").load_regions(django_apps, None)
        with open(os.devnull, "w") as devnull:
            call_command("import_trusts", str(TRUSTS_CSV), stdout=devnull)
    _load_shipped_rows()


def _load_shipped_rows() -> None:
    """Rows that data migrations ship (the default apology templates). A transactional test's
    flush deletes them, so put them back exactly as the migrations wrote them."""
    import importlib

    from django.apps import apps

    from notices.models import MessageTemplate

    if not MessageTemplate.objects.filter(trust=None).exists():
        for name, function in (("0002_default_apology_templates", "add_defaults"),
                               ("0003_template_recipient_columns", "declare_default_columns")):
            getattr(importlib.import_module(f"notices.migrations.{name}"), function)(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database holds the real regions and trusts."""
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture
def transactional_db(transactional_db):
    """Transactional tests (live server, real workers) flush every table when they end; put the
    reference data back first so that each one starts from the same England."""
    load_reference_data()
    return transactional_db


@pytest.fixture
def db(db):
    load_reference_data()
    return db


def _user(email: str, role: Role | None = None, trust: str | None = None, region: str | None = None) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, first_name=email.split("@")[0].title())
    if role:
        Membership.objects.create(
            user=user, role=role,
            trust=Trust.objects.get(ods_code=trust) if trust else None,
            region=Region.objects.get(code=region) if region else None,
        )
    return user


@pytest.fixture
def rwe(db) -> Trust:
    return Trust.objects.select_related("icb__region").get(ods_code="RWE")


@pytest.fixture
def ada(db) -> User:
    return _user("ada@rwe.example", Role.TRUST_ADMIN, trust="RWE")


@pytest.fixture
def chris(db) -> User:
    return _user("chris@rwe.example", Role.TRUST_COMMS, trust="RWE")


@pytest.fixture
def tom(db) -> User:
    return _user("tom@rx1.example", Role.TRUST_ADMIN, trust="RX1")


@pytest.fixture
def morgan(db) -> User:
    return _user("morgan@midlands.example", Role.REGIONAL_MANAGER, region="Y60")


@pytest.fixture
def sam(db) -> User:
    return _user("sam@london.example", Role.REGIONAL_MANAGER, region="Y56")


@pytest.fixture
def nia(db) -> User:
    return _user("nia@england.example", Role.NATIONAL_MANAGER)


@pytest.fixture
def pat(db) -> User:
    return _user("pat@nowhere.example")


# --- a real Celery worker over Redis --------------------------------------------------------

def redis_available(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def worker_process_env() -> dict[str, str]:
    """The environment of a worker process started by a test: this process's environment, the test
    settings in worker mode (consuming from TEST_REDIS_URL) and the test's own database."""
    from django.db import connection

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["STRIKEOPS_TEST_WORKER"] = "1"
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )
    return env


@pytest.fixture
def celery_worker_process(request):
    """Start `celery worker` as a separate process consuming from the test Redis, pointed at the
    same database as the test (use with transactional_db so that it sees committed rows), and
    switch this process to send tasks there instead of running them eagerly.

    Yields a handle with .process (Popen) and .restart() for fault tests."""
    import subprocess
    import sys
    import time

    from strikeops.celery import app

    url = settings.TEST_REDIS_URL
    require_service("Redis", redis_available(url), f"start redis-server or set TEST_REDIS_URL (tried {url})")
    import redis

    redis.Redis.from_url(url).flushdb()

    env = worker_process_env()

    class Worker:
        process: subprocess.Popen

        def start(self) -> None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "strikeops", "worker", "--loglevel=WARNING",
                 "--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "-n", f"test-{os.getpid()}@%h"],
                cwd=REPO, env=env,
            )

        def stop(self, sig: int | None = None) -> None:
            import signal

            if self.process.poll() is None:
                self.process.send_signal(sig or signal.SIGTERM)
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()

        def restart(self) -> None:
            self.stop()
            self.start()

    # Remember only our own overrides layer: Celery reads the rest live from Django settings, which
    # other fixtures may have changed for this test (and will restore themselves).
    keys = ("task_always_eager", "broker_url", "result_backend")
    previous = {k: celery_changes(app)[k] for k in keys if k in celery_changes(app)}
    app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    _forget_connections(app)
    worker = Worker()
    worker.start()
    # Wait until the worker answers a ping, so tests measure work, not start-up.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"celery worker exited with {worker.process.returncode}")
        if app.control.ping(timeout=0.5):
            break
    else:
        worker.stop()
        pytest.fail("celery worker did not answer a ping within 60 s")
    yield worker
    worker.stop()
    for key in keys:
        celery_changes(app).pop(key, None)
    app.conf.update(**previous)
    _forget_connections(app)


def celery_changes(app: Any) -> dict[str, Any]:
    """Celery's layer of settings changed at run time (app.conf.changes): the one tests save, change
    and restore, so that the rest keeps following Django's settings."""
    changes: dict[str, Any] | None = app.conf.changes
    assert changes is not None, "Celery's configuration is not loaded yet"
    return changes


def _forget_connections(app) -> None:
    """Celery caches pools, the control mailbox and the result backend per app; after changing
    the broker URL they must be rebuilt, or they keep talking to the old (in-memory) broker."""
    import threading

    app._pool = None
    app.amqp._producer_pool = None
    app.__dict__.pop("control", None)
    app._local = threading.local()
