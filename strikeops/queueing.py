"""Queueing Celery work after a commit without letting an unreachable broker fail the request.

The change is already committed when an on_commit callback runs: raising there would show an
error page for something that did happen. Every caller names how the work is recovered instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError

    return (OperationalError, OSError)


def enqueue_on_commit(task: Any, *args: Any, fallback: Callable[[], None] | None = None, what: str) -> None:
    """`task.delay(*args)` once the transaction commits. If the broker cannot be reached, run
    `fallback` (for small jobs: do the work in-process) or leave the work to a recovery beat task.
    Only ids and the error class are logged, never personal data."""

    def _send() -> None:
        try:
            task.delay(*args)
        except broker_errors() as error:
            logger.warning("%s: the broker is unreachable (%s); %s", what, type(error).__name__,
                           "running it in-process" if fallback else "the recovery task will queue it")
            if fallback is not None:
                fallback()

    transaction.on_commit(_send)
