"""The outbox engine: one status machine, one claim, one outcome write, one retry policy and one
recovery sweep for every table of outgoing messages. Each such table has the same shape (status,
attempts, claimed_at, next_attempt_at, enqueued_at, failure_reason, sent_at, completed_at): campaign
deliveries (Delivery) and emails to subscribers (SubscriberEmail: confirmation links, notices, withdrawals).
The services that send them (services/delivery.py, services/subscriptions.py) decide only what a
message says and who may get it; how it moves from queued to an outcome is decided here, once.

    queued --claim--> sending --outcome--> sent / delivered / permanent_failure / cancelled
                         |  \\--temporary failure--> awaiting_retry --(due; the sweep)--> claimable again
                         \\--worker died (claim older than DELIVERY_SENDING_TIMEOUT_SECONDS)--> released:
                             awaiting_retry, due now, outcome_unknown where the table records it
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Q

from notices.models.outbox import CLAIMABLE_STATUSES, PENDING_STATUSES, SUCCESS_STATUSES, OutboxStatus

RELEASED_REASON = "Sending state unknown: the worker stopped while sending"


def due(now: dt.datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, to be written with the one outcome write."""

    pk: int
    attempts: int
    status: str
    fields: dict[str, Any]


def _update_sql(model: type[models.Model], values: dict[str, Any], where: str) -> tuple[str, list[Any]]:
    """An UPDATE of `model` written directly: the send loop runs one or two per message, and building
    them through the ORM cost more than the database's work (BENCHMARKS.md, "Message fan-out").
    `values` are field names and Python values, prepared as the ORM would; `where` is SQL with %s
    placeholders whose parameters the caller appends."""
    meta = model._meta
    assignments, args = [], []
    for name, value in values.items():
        model_field = meta.get_field(name)
        assert isinstance(model_field, models.Field) and model_field.column, f"{name} is not a column"
        assignments.append(f"{connection.ops.quote_name(model_field.column)} = %s")
        args.append(model_field.get_db_prep_save(value, connection))
    # Table and column names come from the model's metadata and `where` from this module's callers;
    # every value is a parameter.
    sql = f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {', '.join(assignments)} WHERE {where}"  # noqa: S608  # nosec B608
    return sql, args


def _execute(sql: str, params: list[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else int(cursor.rowcount)


_CLAIM_WHERE = ("id = %s AND attempts = %s AND status IN (%s, %s)"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= %s)")
_OUTCOME_WHERE = "id = %s AND status = %s AND attempts = %s"


def _claim_sql(model: type[models.Model], pk: int, attempts: int, now: dt.datetime,
               condition_sql: str) -> tuple[str, list[Any]]:
    sql, args = _update_sql(model, {"status": OutboxStatus.SENDING, "claimed_at": now, "attempts": attempts + 1,
                                    "next_attempt_at": None},
                            _CLAIM_WHERE + (f" AND {condition_sql}" if condition_sql else ""))
    return sql, [*args, pk, attempts, *CLAIMABLE_STATUSES, connection.ops.adapt_datetimefield_value(now)]


def _outcome_sql(model: type[models.Model], outcome: Outcome) -> tuple[str, list[Any]]:
    sql, args = _update_sql(model, outcome.fields, _OUTCOME_WHERE)
    return sql, [*args, outcome.pk, OutboxStatus.SENDING, outcome.attempts]


def claim(model: type[models.Model], pk: int, *, attempts: int, now: dt.datetime, condition_sql: str = "") -> bool:
    """queued/awaiting_retry -> sending, only if the row is due and still at `attempts` (as the caller
    read it), and meets `condition_sql` (SQL on the row's table). True for exactly one of any number of
    racing callers: PostgreSQL re-checks the WHERE clause on the row after waiting for a concurrent
    claim's lock. Committed at once (autocommit): the claim is on record before anything is sent."""
    claimed: int = _execute(*_claim_sql(model, pk, attempts, now, condition_sql))
    return claimed == 1


def outcome(pk: int, *, attempts: int, status: str, now: dt.datetime, reason: str = "", **extra: Any) -> Outcome:
    """An outcome: a final status, or sent/delivered."""
    fields: dict[str, Any] = {"status": status, "failure_reason": reason[:500], "next_attempt_at": None, **extra}
    if status not in PENDING_STATUSES:
        fields["completed_at"] = now
    if status in SUCCESS_STATUSES:
        fields["sent_at"] = now
    return Outcome(pk=pk, attempts=attempts, status=status, fields=fields)


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the n-th failed attempt: base, 2 x base, 4 x base... up to the cap."""
    base: int = max(1, settings.DELIVERY_RETRY_BASE_SECONDS)
    cap: int = settings.DELIVERY_RETRY_MAX_SECONDS
    factor: int = 2 ** max(0, attempts - 1)
    return min(cap, base * factor)


def retry_outcome(pk: int, *, attempts: int, now: dt.datetime, reason: str, **extra: Any) -> Outcome:
    """A temporary failure: wait (exponential back-off) and try again, or become a permanent failure
    after DELIVERY_MAX_ATTEMPTS. No task is queued per retry: the recovery task's due-retry sweep
    queues retries when they are due (so retries neither wait in the broker nor starve first sends)."""
    if attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        return outcome(pk, attempts=attempts, status=OutboxStatus.PERMANENT_FAILURE, now=now,
                       reason=f"{reason} (gave up after {attempts} attempts)", **extra)
    retry_at = now + dt.timedelta(seconds=backoff_seconds(attempts))
    return Outcome(pk=pk, attempts=attempts, status=OutboxStatus.AWAITING_RETRY, fields={
        "status": OutboxStatus.AWAITING_RETRY, "next_attempt_at": retry_at, "enqueued_at": None,
        "failure_reason": reason[:500], **extra})


def write(model: type[models.Model], result: Outcome) -> bool:
    """The one outcome write: only if the row is still this attempt's (sending, same attempts), so a
    late or duplicate worker can never overwrite someone else's outcome."""
    written: int = _execute(*_outcome_sql(model, result))
    return written == 1


def write_and_claim(model: type[models.Model], previous: Outcome | None, *, pk: int, attempts: int,
                    now: dt.datetime, condition_sql: str = "") -> tuple[bool, bool]:
    """The send loop's step: the previous message's outcome and the next message's claim in one
    statement, so one commit (one round trip) records the one and takes the other, and an outcome is
    always on record before the next message is sent. Returns (outcome written, claimed)."""
    if previous is None:
        return False, claim(model, pk, attempts=attempts, now=now, condition_sql=condition_sql)
    outcome_sql, outcome_params = _outcome_sql(model, previous)
    claim_sql, claim_params = _claim_sql(model, pk, attempts, now, condition_sql)
    # Two data-modifying CTEs: both run, on different rows, in one statement and one commit.
    written, claimed = _execute(
        f"WITH outcome AS ({outcome_sql} RETURNING 1), claimed AS ({claim_sql} RETURNING 1) "  # noqa: S608  # nosec B608
        "SELECT (SELECT count(*) FROM outcome), (SELECT count(*) FROM claimed)",
        [*outcome_params, *claim_params])
    return written == 1, claimed == 1


def settle(model: type[models.Model], pk: int, *, attempts: int, status: str, now: dt.datetime,
           reason: str = "", **extra: Any) -> bool:
    """Write an outcome at once (senders that send one message per task)."""
    return write(model, outcome(pk, attempts=attempts, status=status, now=now, reason=reason, **extra))


def retry_or_fail(model: type[models.Model], pk: int, *, attempts: int, now: dt.datetime, reason: str) -> str | None:
    """Write a temporary failure's outcome at once; the status recorded, or None if the row was no
    longer this attempt's."""
    result = retry_outcome(pk, attempts=attempts, now=now, reason=reason)
    return result.status if write(model, result) else None


def release_stale(model: type[models.Model], *, now: dt.datetime, limit: int, **extra: Any) -> list[int]:
    """Claims older than DELIVERY_SENDING_TIMEOUT_SECONDS belong to a worker that died mid-send:
    back to awaiting_retry, due now (the sender decides, on the next claim, whether to ask the
    provider first). Returns the ids released; the caller queues them."""
    cutoff = now - dt.timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    ids = list(model._default_manager.filter(status=OutboxStatus.SENDING, claimed_at__lt=cutoff)
               .order_by("pk").values_list("pk", flat=True)[:limit])
    released = model._default_manager.filter(pk__in=ids, status=OutboxStatus.SENDING, claimed_at__lt=cutoff).update(
        status=OutboxStatus.AWAITING_RETRY, next_attempt_at=now, enqueued_at=now, failure_reason=RELEASED_REASON,
        **extra)
    return ids if released else []


def take_workable(model: type[models.Model], *, now: dt.datetime, limit: int, condition: Q | None = None) -> list[int]:
    """The due-retry sweep and the lost-message net in one: rows queued or due for a retry that no
    broker message has carried since they became workable (enqueued_at empty), or whose message
    has not been worked for DELIVERY_REQUEUE_AFTER_SECONDS (lost with a broker or a worker). Marks
    them enqueued now and returns their ids; the caller queues them."""
    lost_cutoff = now - dt.timedelta(seconds=settings.DELIVERY_REQUEUE_AFTER_SECONDS)
    workable = model._default_manager.filter(
        condition or Q(),
        (Q(status=OutboxStatus.QUEUED) | Q(status=OutboxStatus.AWAITING_RETRY, next_attempt_at__lte=now))
        & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost_cutoff)),
    )
    ids = list(workable.order_by("pk").values_list("pk", flat=True)[:limit])
    if ids:
        model._default_manager.filter(pk__in=ids).update(enqueued_at=now)
    return ids


@contextmanager
def outcomes_committed_without_flush() -> Iterator[None]:
    """Each claim and each outcome is its own commit, so that a killed worker leaves at most the one
    message it had in flight unrecorded. A durable commit waits for the WAL flush (milliseconds);
    with synchronous_commit off PostgreSQL acknowledges a commit once it is in its WAL buffers, which
    a crash of *our* process cannot lose (only a crash of PostgreSQL itself could, within
    wal_writer_delay: a different fault). Scoped to the send loop on this connection, reset after."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")
