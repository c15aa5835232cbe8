"""The Celery application. Configuration lives in Django settings under CELERY_*."""

import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikeops.settings")


class Task(DjangoTask[Any, Any]):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]  # None, as Celery's
        """Celery's delay_on_commit, except that an unreachable Redis is logged, not raised into a
        request whose work has committed (strikeops.queueing). Ids and names only, never personal data."""
        from strikeops.queueing import enqueue_on_commit

        enqueue_on_commit(self, *args, kwargs=kwargs)


app = Celery("strikeops", task_cls=Task)
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
