"""The Celery application. Configuration lives in Django settings under CELERY_*.

Every piece of work is queued one way: `task.delay_on_commit(*ids)` (the Task class below). Tasks
live in each app's `tasks.py`, found by autodiscovery; strikeops/tasks.py is listed in
CELERY_IMPORTS (strikeops is not an app)."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from celery import Celery
from celery import shared_task as celery_shared_task
from celery.contrib.django.task import DjangoTask
from celery.signals import beat_init, worker_init
from django.db import transaction
from kombu.exceptions import OperationalError

from strikeops.cache import CACHE_ERRORS

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikeops.settings")

logger = logging.getLogger(__name__)

# What publishing raises when Redis cannot be reached: kombu's wrapper (the broker connection),
# redis-py's own errors and socket errors (the result backend raises those unwrapped, as the cache does).
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, *CACHE_ERRORS)


_P = ParamSpec("_P")
_R = TypeVar("_R")


class Task(DjangoTask[_P, _R]):
    """Celery 5's DjangoTask, whose `delay_on_commit` tolerates an unreachable Redis.

    The change is already committed when an on_commit callback runs: raising there would show an
    error page for something that did happen. So a publish that cannot reach Redis is logged (task
    name, ids and the error class, never personal data) and the work is left in the database for
    the recovery beat task of its kind; or, for a task declared with `run_here_if_unqueued=True`
    (small work a person is waiting for), run in this process instead."""

    run_here_if_unqueued: bool = False

    def delay_on_commit(self, *args: _P.args, **kwargs: _P.kwargs) -> None:  # type: ignore[override]  # None, as Celery's
        transaction.on_commit(functools.partial(self._publish, args, kwargs))

    def _publish(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            # Without a result: nothing reads one, and the Redis result backend is one more call that can fail.
            self.apply_async(args=args, kwargs=kwargs, ignore_result=True)
        except BROKER_ERRORS as error:
            named = [f"{key}={value}" for key, value in kwargs.items()]
            logger.warning("%s(%s): Redis is unreachable (%s); %s", self.name, ", ".join([*map(str, args), *named]),
                           type(error).__name__,
                           "running it in-process" if self.run_here_if_unqueued else "the recovery task will queue it")
            if self.run_here_if_unqueued:
                self.apply(args=args, kwargs=kwargs)


def shared_task(*, name: str, run_here_if_unqueued: bool = False,
                **options: Any) -> Callable[[Callable[_P, _R]], Task[_P, _R]]:
    """Celery's `shared_task` with this module's Task as its class (the app's task_cls too), typed so
    that `delay_on_commit` is checked against the task function's own parameters. The apps' tasks.py
    import it from here. `run_here_if_unqueued` is set on the task class (see Task)."""
    decorator = celery_shared_task(name=name, base=Task, run_here_if_unqueued=run_here_if_unqueued, **options)
    # celery-types types a task made with `base=` as the bare base class: its parameters are restored here.
    return cast("Callable[[Callable[_P, _R]], Task[_P, _R]]", decorator)


app = Celery("strikeops", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_to_start_if_misconfigured(**kwargs: Any) -> None:
    # Imported when the process starts, not when this module loads: strikeops/__init__.py imports
    # this module before Django's settings are configured.
    from django.core.exceptions import ImproperlyConfigured

    from strikeops.checks import refuse_to_start_if_misconfigured

    try:
        refuse_to_start_if_misconfigured()
    except ImproperlyConfigured as error:
        # Celery logs and swallows an Exception from a signal receiver; SystemExit stops the process.
        raise SystemExit(f"ImproperlyConfigured: {error}") from error
