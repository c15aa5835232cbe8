"""The outbox's tasks (autodiscovered): the one recovery task over every registered table (beat, every
DELIVERY_RECOVER_EVERY_SECONDS, queue "housekeeping") and the one send task of tables that send one
message per task (queue "transactional"). Both carry ids only, never an address or a message."""

from __future__ import annotations

from outbox.registry import recover_all, sender
from strikeops.celery import shared_task


@shared_task(name="outbox.recover")
def outbox_recover() -> dict[str, int]:
    """Release claims of dead workers, queue due retries and lost messages, and whatever else each
    table's recovery does (outbox.registry): safe to run at any time, as often as wanted."""
    return recover_all()


@shared_task(name="outbox.send")
def outbox_send(table: str, row_id: int) -> str | None:
    """Send one row of a registered table (queued with delay_on_commit after the row commits). Safe
    to run twice or at once with itself: the engine's claim lets one run send."""
    return sender(table)(row_id)
