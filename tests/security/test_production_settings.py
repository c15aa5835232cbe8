"""Production refuses to run without MESSAGING_HASH_KEY and an https:// SITE_URL (strikeops/checks.py):
`check --deploy` fails, and the web (wsgi) and worker processes refuse to start with DEBUG off."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.security.helpers import production_env

REPO = Path(__file__).resolve().parents[2]
BASE = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "strikeops.example.nhs.uk",
        "DJANGO_SETTINGS_MODULE": "strikeops.settings"}


def _run(*args: str, timeout: int = 120, **env: str | None) -> subprocess.CompletedProcess[str]:
    full = production_env(**BASE)
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return subprocess.run([sys.executable, *args], cwd=REPO, env=full, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(("env", "code"), [
    ({"MESSAGING_HASH_KEY": None}, "strikeops.E001"),
    ({"SITE_URL": None}, "strikeops.E002"),
    ({"SITE_URL": "http://strikeops.example.nhs.uk"}, "strikeops.E002"),
])
def test_check_deploy_fails_without_the_setting(env: dict[str, Any], code: str) -> None:
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert code in result.stdout + result.stderr


def test_check_deploy_passes_with_both_set() -> None:
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "strikeops.E00" not in result.stdout + result.stderr


@pytest.mark.parametrize("module", ["strikeops.wsgi", "strikeops.asgi"])
def test_web_process_refuses_to_start_without_the_hash_key(module: str) -> None:
    result = _run("-c", f"import {module}", MESSAGING_HASH_KEY=None, SITE_URL="http://localhost:8000")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "strikeops.E001" in result.stderr and "strikeops.E002" in result.stderr


def test_web_process_starts_with_both_set() -> None:
    result = _run("-c", "import strikeops.wsgi; print('started')")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_worker_refuses_to_start_without_the_hash_key() -> None:
    # Celery's worker_init signal runs before the worker connects to the broker.
    result = _run("-m", "celery", "-A", "strikeops", "worker", "--pool=solo", "--loglevel=ERROR",
                  timeout=60, MESSAGING_HASH_KEY=None, REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "strikeops.E001" in result.stdout + result.stderr


def test_debug_machine_needs_neither() -> None:
    result = _run("-c", "import strikeops.wsgi; print('started')", DEBUG="true",
                  MESSAGING_HASH_KEY=None, SITE_URL=None)
    assert result.returncode == 0, result.stderr
