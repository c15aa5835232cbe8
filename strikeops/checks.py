"""Settings production must not run without (docs/deployment.md, docs/security.md).

`MESSAGING_HASH_KEY` keys the opt-out hashes: derived from SECRET_KEY, rotating that key would
silently forget every opt-out. `SITE_URL` is the origin of every link in an email; RFC 8058
one-click unsubscribe needs HTTPS, and a localhost default would send patients nowhere.

Checked twice: by `manage.py check --deploy` (a deploy-tagged system check) and at start-up of
the web and worker processes with DEBUG off (`refuse_to_start_if_misconfigured`, called from
strikeops/wsgi.py, asgi.py and celery.py), because gunicorn and Celery run no system checks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


def production_setting_errors() -> list[Error]:
    errors = []
    if not settings.MESSAGING_HASH_KEY:
        errors.append(Error(
            "MESSAGING_HASH_KEY is not set.",
            hint="Set it once to a long random value and never change it: it keys the opt-out hashes.",
            id="strikeops.E001"))
    if not str(settings.SITE_URL).startswith("https://"):
        errors.append(Error(
            f"SITE_URL must be an https:// origin (it is {settings.SITE_URL!r}).",
            hint="Links in emails (subscriptions, unsubscribe, opt-out) use it; RFC 8058 needs HTTPS.",
            id="strikeops.E002"))
    return errors


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    return production_setting_errors()


def refuse_to_start_if_misconfigured() -> None:
    if settings.DEBUG:
        return
    errors = production_setting_errors()
    if errors:
        raise ImproperlyConfigured(" ".join(f"{error.id}: {error.msg} {error.hint}" for error in errors))
