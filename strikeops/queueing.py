"""Queueing Celery work after a commit without letting an unreachable Redis fail the request.

The change is already committed when an on_commit callback runs: raising there would show an
error page for something that did happen. So a publish that cannot reach Redis is logged and left
to the recovery beat task of that kind of work (each caller names it), or done in-process by a
`fallback` for small jobs. Tasks get this through `delay_on_commit` (strikeops.celery.Task).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a call to Redis raises when it cannot be reached: kombu's wrapper (the broker connection),
    redis-py's own errors (the result backend and the cache raise those, unwrapped), socket errors."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    return (OperationalError, RedisError, OSError)


def enqueue_on_commit(task: Any, *args: Any, kwargs: dict[str, Any] | None = None,
                      fallback: Callable[[], object] | None = None, what: str = "") -> None:
    """`task` with `args` (ids only) once the transaction commits, published without a result
    (nothing reads one, and the Redis result backend would be one more call that can fail). If Redis
    cannot be reached, run `fallback` or leave the work to a recovery beat task. Only the task,
    its ids and the error class are logged, never personal data."""

    def _send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs or {}, ignore_result=True)
        except redis_errors() as error:
            named = [f"{key}={value}" for key, value in (kwargs or {}).items()]
            label = what or f"{task.name}({', '.join([*map(str, args), *named])})"
            logger.warning("%s: Redis is unreachable (%s); %s", label, type(error).__name__,
                           "running it in-process" if fallback else "the recovery task will queue it")
            if fallback is not None:
                fallback()

    transaction.on_commit(_send)
