"""The outbox engine: one status machine, one claim, one outcome write, one retry policy, one failure
classification and one recovery sweep for every table of outgoing messages. Each such table inherits
outbox.models.OutboxMessage (status, attempts, claimed_at, next_attempt_at, enqueued_at,
outcome_unknown, possibly_duplicated, failure_reason, sent_at, completed_at): campaign deliveries
(notices.Delivery), emails to subscribers (notices.SubscriberEmail: confirmation links, notices,
withdrawals) and emails to trusts (trusts.TrustEmail: return reminders, reopened returns). The
services that send them decide only what a message says and who may get it; how it moves from queued
to an outcome is decided here, once. Senders of one message per task use `send_one`; the campaign
send loop (notices/services/delivery.py) uses `write_and_claim` to record one outcome and take the
next claim in one statement.

    queued --claim--> sending --outcome--> sent / delivered / permanent_failure / cancelled
                         |  \\--temporary failure--> awaiting_retry --(due; the sweep)--> claimable again
                         \\--worker died (claim older than DELIVERY_SENDING_TIMEOUT_SECONDS)--> released:
                             awaiting_retry, due now, outcome_unknown
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from outbox.models import CLAIMABLE_STATUSES, PENDING_STATUSES, SUCCESS_STATUSES, OutboxMessage, OutboxStatus

logger = logging.getLogger("outbox")

RELEASED_REASON = "Sending state unknown: the worker stopped while sending"


class SendFailure(Exception):
    """A send that did not go; `reason` is fit to store and show (no contact details)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(SendFailure):
    """Could work later: provider rate limit or outage, network trouble. Retried with back-off."""


class PermanentFailure(SendFailure):
    """Will never work: refused recipient, bad request, no channel for this kind of message."""


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
    return _execute(*_claim_sql(model, pk, attempts, now, condition_sql)) == 1


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
    base = max(1, settings.DELIVERY_RETRY_BASE_SECONDS)
    return min(settings.DELIVERY_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))


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
    return _execute(*_outcome_sql(model, result)) == 1


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


def send_one(model: type[OutboxMessage], row: OutboxMessage, send: Callable[[], None], *, label: str,
             skip_reason: str = "") -> str | None:
    """Send one row at most once, for senders of one message per task (emails to subscribers and to
    trusts): claim it (a conditional UPDATE only one caller can win), cancel it if `skip_reason`, else
    call `send` outside any transaction and write the one outcome. `send` raises TemporaryFailure
    (retried after the back-off by the recovery task's sweep), PermanentFailure, or anything else
    (unclassified: retried like a temporary failure, so it ends as a permanent failure after the last
    attempt, and is never left "sending"). These rows go by email, which cannot be asked whether it
    had a message: a row released after its worker died mid-send is sent again and recorded as
    possibly duplicated. `label` names the row in log lines (ids only, never an address).
    Returns the status recorded, or None when this call did nothing (someone else holds or has
    finished the row, or it is not due)."""
    now = timezone.now()
    if not claim(model, row.pk, attempts=row.attempts, now=now):
        return None
    attempts = row.attempts + 1
    if skip_reason:
        settle(model, row.pk, attempts=attempts, status=OutboxStatus.CANCELLED, now=now, reason=skip_reason,
               outcome_unknown=False)
        return OutboxStatus.CANCELLED
    try:
        send()
    except TemporaryFailure as failure:
        logger.warning("%s failed (attempt %s): %s", label, attempts, failure.reason)
        return retry_or_fail(model, row.pk, attempts=attempts, now=timezone.now(), reason=failure.reason)
    except PermanentFailure as failure:
        logger.warning("%s failed for good: %s", label, failure.reason)
        settle(model, row.pk, attempts=attempts, status=OutboxStatus.PERMANENT_FAILURE, now=timezone.now(),
               reason=failure.reason, outcome_unknown=False)
        return OutboxStatus.PERMANENT_FAILURE
    except Exception as error:
        # Only the class is logged: the message of an unknown error may quote the address.
        logger.error("%s: unexpected %s while sending", label, type(error).__name__)
        return retry_or_fail(model, row.pk, attempts=attempts, now=timezone.now(),
                             reason=f"Unexpected error while sending ({type(error).__name__})")
    duplicated = row.outcome_unknown
    if duplicated:
        logger.warning("%s: sent again after a stopped worker; possibly duplicated", label)
    settle(model, row.pk, attempts=attempts, status=OutboxStatus.SENT, now=timezone.now(), outcome_unknown=False,
           possibly_duplicated=duplicated)
    return OutboxStatus.SENT


def recover_table(model: type[OutboxMessage], *, now: dt.datetime, queue: Callable[[int], None],
                  limit: int = 10_000) -> dict[str, int]:
    """The recovery of a table of one-message-per-task rows: release claims of dead workers, take
    rows due (retries whose time has come, and queued rows no broker message carries any more), and
    queue each with `queue(pk)`."""
    released = release_stale(model, now=now, limit=limit, outcome_unknown=True)
    workable = take_workable(model, now=now, limit=limit)
    for pk in released + workable:
        queue(pk)
    return {"released": len(released), "requeued": len(workable)}
