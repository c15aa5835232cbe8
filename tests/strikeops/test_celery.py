import ast
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from strikeops.tasks import health

REPO = Path(__file__).resolve().parents[2]


def test_health_task_runs_in_process_without_a_broker() -> None:
    assert health.delay("abc").get(timeout=5) == "ok:abc"


@pytest.mark.worker
def test_health_round_trip_through_redis_and_a_real_worker(celery_worker_process) -> None:
    token = uuid.uuid4().hex
    result = health.delay(token)
    assert result.get(timeout=30) == f"ok:{token}"
    # The answer came from another process over Redis, not from an eager call.
    assert result.backend.__class__.__name__ == "RedisBackend"


# --- One way to queue, tasks found by autodiscovery -------------------------------------------------

APP_PACKAGES = ("strikeops", "trusts", "notices", "crispy_forms_nhsuk")
# Calls that publish a task some other way than Task.delay_on_commit (strikeops/celery.py, the one place).
OTHER_WAYS = {"delay", "apply_async", "apply_async_on_commit", "send_task", "enqueue_on_commit"}


def _app_modules() -> list[Path]:
    return [path for package in APP_PACKAGES for path in sorted((REPO / package).rglob("*.py"))
            if "migrations" not in path.parts]


def test_work_is_queued_only_with_delay_on_commit() -> None:
    found = []
    for path in _app_modules():
        if path == REPO / "strikeops" / "celery.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if name in OTHER_WAYS:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} {name}()")
    assert found == []


def test_no_production_code_asks_whether_tasks_run_eagerly() -> None:
    """Tests choose in-process tasks in their settings; the code behaves the same either way."""
    for path in _app_modules():
        if path == REPO / "strikeops" / "settings.py":
            continue
        text = path.read_text().lower()
        assert "always_eager" not in text and "is_eager" not in text, path


def test_a_worker_finds_every_task_by_autodiscovery_alone() -> None:
    """In a fresh process nothing has imported the tasks modules: what a worker registers comes from
    autodiscovery (each app's tasks.py) and CELERY_IMPORTS (strikeops.tasks), and covers every route
    and every beat entry."""
    script = ("import sys, django; django.setup()\n"
              "from strikeops.celery import app\n"
              "assert 'notices.tasks' not in sys.modules and 'trusts.tasks' not in sys.modules\n"
              "app.loader.import_default_modules()\n"
              "print('\\n'.join(sorted(n for n in app.tasks if not n.startswith('celery.'))))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}, check=False)
    assert result.returncode == 0, result.stderr
    registered = set(result.stdout.split())
    assert set(settings.CELERY_TASK_ROUTES) <= registered
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= registered
    assert {"notices.send_subscriber_email", "outbox.send", "outbox.recover", "strikeops.health"} <= registered
    assert settings.CELERY_IMPORTS == ["strikeops.tasks"]


def test_the_broker_channel_has_the_recovery_settings_and_the_quick_connect_timeout() -> None:
    """What kombu's Redis channel really gets, not what settings.py means: a second assignment of
    CELERY_BROKER_TRANSPORT_OPTIONS once dropped the visibility timeout (Redis's default hour
    instead of 40 s), so a dead worker's messages stayed away for an hour, not under a minute."""
    from kombu.transport.redis import Channel

    from strikeops.celery import app
    from tests.conftest import redis_available, require_service

    url = settings.TEST_REDIS_URL
    require_service("Redis", redis_available(url), f"start redis-server or set TEST_REDIS_URL (tried {url})")
    # The app's own connection settings, on the test Redis (the suite's broker is in memory).
    with app.connection_for_write(url) as connection:
        channel = connection.default_channel
        assert isinstance(channel, Channel), "the broker is Redis"
        assert channel.visibility_timeout == settings.CELERY_BROKER_VISIBILITY_TIMEOUT == 40
        # Set on the channel from the transport options (newer than the kombu type stubs).
        assert vars(channel).get("unacked_restore_interval") == 5
        assert vars(channel).get("unacked_restore_throttle") == 1
        assert (connection.transport_options or {}).get("socket_connect_timeout") == 2
