"""The outbox engine: one status machine, one claim, one outcome write, one retry policy, one failure
classification and one recovery sweep for every table of outgoing messages. Each such table inherits
outbox.models.OutboxMessage (status, attempts, claimed_at, next_attempt_at, enqueued_at,
outcome_unknown, possibly_duplicated, failure_reason, sent_at, completed_at): campaign deliveries
(notices.Delivery), emails to subscribers (notices.SubscriberEmail: confirmation links, notices,
withdrawals) and emails to trusts (trusts.TrustEmail: return reminders, reopened returns). The
services that send them decide only what a message says and who may get it; how it moves from queued
to an outcome is decided here, once. Senders of one message per task use `send_one`; the campaign
send loop (notices/services/delivery.py) claims up to 50 rows at once (`claim_many`, renewed by `renew`) and
writes each outcome before its next send.

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
from functools import lru_cache
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, models
from django.db.backends.utils import CursorWrapper
from django.db.models import Case, F, Q, Value, When
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


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, f"{name} is not a column"
    return field


def _column(model: type[models.Model], name: str) -> str:
    column = _field(model, name).column
    assert column is not None, f"{name} is not a column"
    return column


@lru_cache(maxsize=64)
def _update_text(model: type[models.Model], names: tuple[str, ...], where: str) -> str:
    meta = model._meta
    assignments = ", ".join(f"{connection.ops.quote_name(_column(model, name))} = %s" for name in names)
    # Table and column names come from the model's metadata and `where` from this module's callers;
    # every value is a parameter.
    return f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {assignments} WHERE {where}"  # noqa: S608  # nosec B608


def _update_sql(model: type[models.Model], values: dict[str, Any], where: str) -> tuple[str, list[Any]]:
    """An UPDATE of `model` written directly: the send loop runs one per message, and building it
    through the ORM cost more than the database's work (BENCHMARKS.md, "Message fan-out"); the text
    is built once per shape. `values` are field names and Python values, prepared as the ORM would;
    `where` is SQL with %s placeholders whose parameters the caller appends."""
    args = [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]
    return _update_text(model, tuple(values), where), args


def _execute_prepared(sql: str, params: list[Any]) -> int:
    """Run one statement the send loop runs once per message as a prepared statement: parsed and
    planned once per connection, then only executed (about 40% more single-row updates a second
    than sending the text each time; BENCHMARKS.md, "Fan-out: prepared outcome writes"). Django's
    cursors bind on the client and never prepare (its `prepare_threshold` is None), so this one
    statement goes through a server-binding psycopg cursor on the same connection, in Django's
    cursor wrapper (error translation, execute wrappers). While Django logs queries (DEBUG, a test
    capturing them) it takes the ordinary cursor instead, so that the log shows the statement with
    its values. Prepared statements live in the database session: behind PgBouncer it must be in
    session mode (docs/deployment.md)."""
    if connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    assert raw is not None, "ensure_connection opened it"
    if raw.prepare_threshold is None:
        # Only server-binding cursors prepare; every other cursor of Django's binds on the client.
        raw.prepare_threshold = 0
    with CursorWrapper(psycopg.Cursor(raw), connection) as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


_OUTCOME_WHERE = "id = %s AND status = %s AND attempts = %s"


@lru_cache(maxsize=16)
def _claim_text(model: type[models.Model], condition_sql: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    # One statement claims many rows, each only at the attempts its caller read (the pairs are
    # unnested side by side). The table, the statuses and `condition_sql` are this module's and its
    # callers' constants; ids, attempts and times are parameters.
    return (
        f"UPDATE {table} AS target SET status = %s, claimed_at = %s, attempts = target.attempts + 1,"  # noqa: S608  # nosec B608
        " next_attempt_at = NULL"
        " FROM unnest(%s::bigint[], %s::integer[]) AS wanted(id, attempts)"
        " WHERE target.id = wanted.id AND target.attempts = wanted.attempts AND target.status = ANY(%s)"
        " AND (target.next_attempt_at IS NULL OR target.next_attempt_at <= %s)"
        + (f" AND {condition_sql.format(row='target')}" if condition_sql else "")
        + " RETURNING target.id"
    )


def claim_many(model: type[models.Model], rows: list[tuple[int, int]], *, now: dt.datetime,
               condition_sql: str = "") -> set[int]:
    """queued/awaiting_retry -> sending for each (pk, attempts) in `rows`, only if the row is due and
    still at those attempts (as the caller read it), and meets `condition_sql` (SQL on the row, which
    it names "{row}"). One statement and one commit (autocommit) for them all, before anything is
    sent; they share one claimed_at, which makes them one claim (release_stale relies on it). Exactly
    one of any number of racing callers gets each row: PostgreSQL re-checks the WHERE clause on the
    row after waiting for a concurrent claim's lock. Returns the ids claimed."""
    if not rows:
        return set()
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_claim_text(model, condition_sql), [
            OutboxStatus.SENDING, stamp, [pk for pk, _ in rows], [attempts for _, attempts in rows],
            list(CLAIMABLE_STATUSES), stamp])
        return {pk for (pk,) in cursor.fetchall()}


@lru_cache(maxsize=16)
def _renew_text(model: type[models.Model]) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    # Our table name only; ids, statuses and times are parameters.
    return (f"UPDATE {table} SET claimed_at = %s"  # noqa: S608  # nosec B608 # our table name only
            " WHERE id = ANY(%s) AND status = %s AND claimed_at = %s RETURNING id")


def renew(model: type[models.Model], pks: list[int], *, claimed_at: dt.datetime, now: dt.datetime) -> set[int]:
    """Keep a live claim from looking stale: the rows of the claim made at `claimed_at` that are still
    sending under it get claimed_at = now (so they stay one claim, for release_stale). Returns the ids
    still held; a row missing from the answer was released by the recovery task (its worker looked
    dead) and may be anyone's now, so the caller must not send it. A sender that holds a claim of
    several rows calls this before a send once the claim is a third of DELIVERY_SENDING_TIMEOUT_SECONDS
    old: a claim is then never older than the timeout while its worker lives, however many rows it
    holds, provided no single send takes two thirds of the timeout (the timeout exceeds the longest
    send with room to spare, docs/delivery.md)."""
    if not pks:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_renew_text(model), [connection.ops.adapt_datetimefield_value(now), pks,
                                            OutboxStatus.SENDING, connection.ops.adapt_datetimefield_value(claimed_at)])
        return {pk for (pk,) in cursor.fetchall()}


def renew_due(claimed_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a claim made at `claimed_at` should be renewed before its next send (see renew)."""
    return now - claimed_at >= dt.timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS / 3)


def claim(model: type[models.Model], pk: int, *, attempts: int, now: dt.datetime, condition_sql: str = "") -> bool:
    """claim_many for one row (senders that send one message per task)."""
    return pk in claim_many(model, [(pk, attempts)], now=now, condition_sql=condition_sql)


def _outcome_sql(model: type[models.Model], outcome: Outcome) -> tuple[str, list[Any]]:
    sql, args = _update_sql(model, outcome.fields, _OUTCOME_WHERE)
    return sql, [*args, outcome.pk, OutboxStatus.SENDING, outcome.attempts]


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
    late or duplicate worker can never overwrite someone else's outcome. One single-row statement by
    primary key, committed at once (autocommit): the send loop runs it before its next send."""
    written = _execute_prepared(*_outcome_sql(model, result))
    return written == 1


def settle(model: type[models.Model], pk: int, *, attempts: int, status: str, now: dt.datetime,
           reason: str = "", **extra: Any) -> bool:
    """Write an outcome at once (senders that send one message per task)."""
    return write(model, outcome(pk, attempts=attempts, status=status, now=now, reason=reason, **extra))


def retry_or_fail(model: type[models.Model], pk: int, *, attempts: int, now: dt.datetime, reason: str) -> str | None:
    """Write a temporary failure's outcome at once; the status recorded, or None if the row was no
    longer this attempt's."""
    result = retry_outcome(pk, attempts=attempts, now=now, reason=reason)
    return result.status if write(model, result) else None


def release_stale(model: type[models.Model], *, now: dt.datetime, limit: int,
                  in_flight: dict[str, Any] | None = None) -> list[int]:
    """Claims older than DELIVERY_SENDING_TIMEOUT_SECONDS belong to a worker that died mid-send:
    back to awaiting_retry, due now (the sender decides, on the next claim, whether to ask the
    provider first). Returns the ids released; the caller queues them.

    A sender claims several rows in one claim (one claimed_at) and sends them in id order, each
    outcome committed before the next send; so of a dead worker's claim only the first row still
    "sending" can have been in flight, and the rest were never sent. `in_flight` (field values) is
    written on that first row only; the others keep theirs. Whole claims are released together (a
    claim cut by `limit` waits for the next run), so that "first" is always judged on the whole claim."""
    cutoff = now - dt.timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    stale = model._default_manager.filter(status=OutboxStatus.SENDING, claimed_at__lt=cutoff)
    rows = list(stale.order_by("claimed_at", "pk").values_list("pk", "claimed_at")[:limit + 1])
    if len(rows) > limit:
        cut = rows[limit][1]
        rows = [row for row in rows[:limit] if row[1] != cut] or rows[:limit]
    ids = [pk for pk, _ in rows]
    first_of_claim = list({claimed_at: pk for pk, claimed_at in reversed(rows)}.values())
    marks = {name: Case(When(pk__in=first_of_claim, then=Value(value)), default=F(name))
             for name, value in (in_flight or {}).items()}
    released = stale.filter(pk__in=ids).update(
        status=OutboxStatus.AWAITING_RETRY, next_attempt_at=now, enqueued_at=now, failure_reason=RELEASED_REASON,
        **marks)
    return sorted(ids) if released else []


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
    released = release_stale(model, now=now, limit=limit, in_flight={"outcome_unknown": True})
    workable = take_workable(model, now=now, limit=limit)
    for pk in released + workable:
        queue(pk)
    return {"released": len(released), "requeued": len(workable)}
