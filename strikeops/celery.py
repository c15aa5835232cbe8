"""The Celery application. Configuration lives in Django settings under CELERY_*."""

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikeops.settings")

app = Celery("strikeops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_to_start_if_misconfigured(**kwargs: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from strikeops.checks import refuse_to_start_if_misconfigured

    try:
        refuse_to_start_if_misconfigured()
    except ImproperlyConfigured as error:
        # Celery logs and swallows an Exception from a signal receiver; SystemExit stops the process.
        raise SystemExit(f"ImproperlyConfigured: {error}") from error
