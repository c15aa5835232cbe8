"""Campaign delivery, the write side: create, begin sending, cancel, fan out, send, settle, recover,
receipts, purge. The Celery tasks (notices/tasks.py) run these functions and queue the work they
return (the rest of a range, ids to send, campaigns to fan out), so nothing here imports a task;
starting a campaign from a page, which queues its fan-out, is notices/services/campaigns.py.

The guarantees (docs/delivery.md has the long version):
- Every message is a Delivery row, committed with its Recipient before anything is queued; the
  (campaign, recipient) pair is unique in the database. Work is queued only after commit
  (transaction.on_commit) and broker messages carry ids only.
- A worker sends a delivery only after claiming it with a conditional UPDATE (queued or
  awaiting_retry -> sending, only while its campaign is sending); whoever gets 0 rows back walks away.
  The send happens outside any transaction and the outcome is written with another conditional
  UPDATE (still sending, same attempt), so a late or duplicate worker can never overwrite it.
- Temporary failures wait (exponential back-off) and try again up to DELIVERY_MAX_ATTEMPTS, then
  become permanent; permanent failures stop at once.
- Before any second attempt the channel is asked whether it already holds the message (Notify: by
  reference = delivery id). So a send whose answer was lost (a timeout, a worker killed between the
  provider's acceptance and our write) is settled without sending it again. Channels that cannot be
  asked (SMTP, the log) send again: at least once, never lost. A claim left "sending" by a dead worker
  is released by the beat task after DELIVERY_SENDING_TIMEOUT_SECONDS and goes down the same path;
  one sent again without a way to ask is recorded as possibly duplicated.
- Each claim and each outcome is committed on its own (asynchronously: synchronous_commit off),
  so a killed worker leaves at most its one in-flight message unrecorded, never a group.
- Contact details never leave this module except into the channel: not in audit events, failure
  reasons (redacted), log lines (delivery ids only) or broker messages.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q

from notices.channels import (
    NOTIFY_STATUSES,
    Channel,
    LookupUnsupported,
    RenderedMessage,
    SendResult,
    channel_for,
)
from notices.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    MessageTemplate,
    Recipient,
)
from notices.models.templates import Channel as MessageChannel
from notices.placeholders import MissingPlaceholders, one_line, render
from notices.ratelimit import RateLimiter, get_rate_limiter
from notices.selectors.delivery import campaign_progress
from notices.services.opt_outs import one_click_url, opt_out_footer, opt_out_keys, opted_out_keys, recipient_keys
from notices.services.templates import trust_values, unreported_figures, unreported_figures_message
from outbox import engine as outbox
from outbox.engine import PermanentFailure, TemporaryFailure
from outbox.models import CLAIMABLE_STATUSES, PENDING_STATUSES, SUCCESS_STATUSES
from strikeops.errors import ServiceError
from strikeops.redaction import scrub
from trusts import clock
from trusts.models import IndustrialAction, Trust
from trusts.services.audit import audit_record

logger = logging.getLogger("notices.delivery")

# Rows per bulk INSERT when a campaign is created: bounds the ORM objects held at once.
CREATE_BATCH_SIZE = 1000
# Deliveries read at once by a sending worker.
SEND_BATCH_SIZE = 500
# Deliveries claimed by one statement (after taking as many rate-limit tokens).
CLAIM_BATCH_SIZE = 50
# Ids per broker message when the beat task re-queues work.
RECOVER_LIMIT = 20_000
FINAL_STATUSES = tuple(s for s in DeliveryStatus.values if s not in PENDING_STATUSES)


class CampaignError(ServiceError):
    """A campaign that cannot be started, scheduled or cancelled; the message says why."""


# --- Redaction for failure reasons ---------------------------------------------------------------



def redact(text: str, recipient: Recipient | None = None) -> str:
    """Take anything that looks like contact details out of a failure reason before it is stored."""
    if recipient is None:
        return scrub(text)
    return scrub(text, recipient.email, recipient.phone, recipient.nhs_number, *(recipient.address_lines or []),
                 *(recipient.personalisation or {}).values())


# --- Creating, starting, cancelling -----------------------------------------------------------

def _none_if_blank(value: Any) -> Any:
    return value if value not in ("", [], {}) else None


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def campaign_create(
    *,
    trust: Trust,
    template: MessageTemplate,
    action: IndustrialAction | None,
    channel: str,
    rows: Iterable[dict[str, Any]],
    user: Any,
    request: Any = None,
) -> Campaign:
    """A draft campaign with one Recipient and one queued Delivery per row, all in one transaction.

    `rows` are checked recipient dicts (notices.services.recipients.recipients_check): keys line,
    email, phone, nhs_number, address_lines, personalisation. They are read in batches, so a file of
    100,000 rows never exists as 100,000 ORM objects at once. Nothing is queued: see
    notices.services.campaigns.campaign_start."""
    if channel not in MessageChannel.values:
        raise CampaignError("Choose how to send the messages: email, text message or letter")
    if template.channel != channel:
        raise CampaignError(f"The template is for {template.get_channel_display().lower()} messages, "
                            f"not {MessageChannel(channel).label.lower()}")
    if template.trust_id not in (None, trust.pk):
        raise CampaignError("The template belongs to another trust")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            trust=trust, action=action, template=template, channel=channel, subject=template.subject,
            body=template.body, created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        count = 0
        for batch in _batches(rows, CREATE_BATCH_SIZE):
            recipients = Recipient.objects.bulk_create([
                Recipient(
                    campaign=campaign, line=int(row["line"]),
                    email=_none_if_blank(row.get("email")), phone=_none_if_blank(row.get("phone")),
                    nhs_number=_none_if_blank(row.get("nhs_number")),
                    address_lines=_none_if_blank(list(row.get("address_lines") or [])),
                    personalisation=dict(row.get("personalisation") or {}),
                    opt_out_keys=opt_out_keys(email=row.get("email"), phone=row.get("phone"),
                                              nhs_number=row.get("nhs_number"),
                                              address_lines=row.get("address_lines")),
                )
                for row in batch
            ])
            Delivery.objects.bulk_create([Delivery(campaign=campaign, recipient=r) for r in recipients])
            count += len(recipients)
        if count == 0:
            raise CampaignError("The recipient list is empty")
        campaign.recipient_count = count
        campaign.save(update_fields=["recipient_count"])
        audit_record(
            event="campaign.created", actor=user, trust=trust, target=campaign, request=request,
            summary=f"Campaign created: {template.name}, {count:,} recipients by {campaign.get_channel_display()}",
            details={"recipients": count, "channel": channel, "template": template.pk,
                     "action": action.slug if action else None},
        )
    return campaign


def _figures(campaign: Campaign) -> dict[str, str]:
    return {name: str(value) for name, value in trust_values(campaign.trust, campaign.action).items()}


def campaign_figure_errors(campaign: Campaign) -> list[str]:
    """Why the campaign cannot be sent as it stands: its text uses a trust figure the trust has not
    reported (a message would otherwise tell patients "0 appointments" for a trust that sent nothing).
    The check page shows this; campaign_begin_sending refuses with it."""
    texts = [campaign.body] + ([campaign.subject] if campaign.subject else [])
    empty = unreported_figures(texts, trust_values(campaign.trust, campaign.action))
    return [unreported_figures_message(empty, campaign.action)] if empty else []


def campaign_begin_sending(campaign: Campaign, now: dt.datetime) -> None:
    """A draft or scheduled campaign becomes sending, with its figures frozen; inside the caller's
    transaction, with the campaign row locked. The caller queues its fan-out after commit. If Redis
    is down then, the campaign is committed as sending and its deliveries wait in the database, never
    handed to the broker (enqueued_at empty): deliveries_recover finds them."""
    problems = campaign_figure_errors(campaign)
    if problems:
        raise CampaignError(problems[0])
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = now
    campaign.figures = _figures(campaign)
    campaign.save(update_fields=["status", "started_at", "figures"])


def campaigns_start_due(*, now: dt.datetime | None = None) -> list[int]:
    """Start every scheduled campaign whose time has come (the recovery task); returns their ids,
    whose fan-out the caller queues."""
    now = now or clock.now()
    started = []
    for campaign_id in Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_for__lte=now
                                               ).values_list("pk", flat=True):
        with transaction.atomic():
            campaign = (Campaign.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("trust", "action")
                        .filter(pk=campaign_id, status=CampaignStatus.SCHEDULED).first())
            if campaign is None:
                continue
            problems = campaign_figure_errors(campaign)
            if problems:
                # The figures it quotes are gone (a return withdrawn to draft, say): back to a draft, whose
                # check page says why, rather than a message with a false figure or a retry every tick.
                campaign.status, campaign.scheduled_for = CampaignStatus.DRAFT, None
                campaign.save(update_fields=["status", "scheduled_for"])
                audit_record(event="campaign.not_sent", trust=campaign.trust, target=campaign,
                             summary=f"Scheduled campaign not sent: {problems[0]}"[:300],
                             details={"recipients": campaign.recipient_count})
                continue
            campaign_begin_sending(campaign, now)
            audit_record(event="campaign.started", trust=campaign.trust, target=campaign,
                         summary=f"Scheduled campaign sending to {campaign.recipient_count:,} recipients",
                         details={"recipients": campaign.recipient_count, "scheduled_for":
                                  campaign.scheduled_for.isoformat() if campaign.scheduled_for else None})
            started.append(campaign_id)
    return started


def campaign_cancel(*, campaign: Campaign, user: Any, request: Any = None) -> Campaign:
    """Stop a draft, scheduled or sending campaign. Deliveries not yet sent are cancelled; ones a
    worker is sending at this moment finish (they cannot be called back from the provider)."""
    now = clock.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related("trust").get(pk=campaign.pk)
        if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
            raise CampaignError(f"This campaign cannot be cancelled: it is {campaign.get_status_display().lower()}")
        was = campaign.status
        campaign.status = CampaignStatus.CANCELLED
        campaign.cancelled_at = now
        campaign.save(update_fields=["status", "cancelled_at"])
        cancelled = Delivery.objects.filter(campaign=campaign, status__in=CLAIMABLE_STATUSES).update(
            status=DeliveryStatus.CANCELLED, failure_reason="The campaign was cancelled", completed_at=now,
            next_attempt_at=None)
        audit_record(event="campaign.cancelled", actor=user, trust=campaign.trust, target=campaign, request=request,
                     summary=f"Campaign cancelled while {CampaignStatus(was).label.lower()}: "
                             f"{cancelled:,} messages not sent",
                     details={"was": was, "cancelled_deliveries": cancelled})
    return campaign


# --- Fan-out and sending ----------------------------------------------------------------------

class RangeSent(NamedTuple):
    sent: int
    # The part of the range not reached in time, stamped as queued: the task queues it as a new task.
    rest: tuple[int, int] | None


class IdsSent(NamedTuple):
    sent: int
    # The ids not reached in time, stamped as queued: the task queues them as a new task.
    rest: list[int]


def campaign_fan_out(*, campaign_id: int) -> list[tuple[int, int]]:
    """Split a sending campaign's queued deliveries into id ranges, one broker message each (the
    task queues them). Only the bounds are read (one aggregate), never the rows. Returns the ranges."""
    if not Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exists():
        return []
    bounds = Delivery.objects.filter(campaign_id=campaign_id, status=DeliveryStatus.QUEUED).aggregate(
        first=Min("pk"), last=Max("pk"))
    if bounds["first"] is None:
        campaign_finish_if_done(campaign_id=campaign_id)
        return []
    size = max(1, settings.DELIVERY_CHUNK_SIZE)
    ranges = []
    for first in range(bounds["first"], bounds["last"] + 1, size):
        last = min(first + size - 1, bounds["last"])
        _stamp_enqueued(campaign_id, first, last)
        ranges.append((first, last))
    return ranges


def _stamp_enqueued(campaign_id: int, first_id: int, last_id: int) -> None:
    # Marked before publishing: if the publish is lost, the recovery task finds them by this stamp.
    Delivery.objects.filter(campaign_id=campaign_id, pk__range=(first_id, last_id), status=DeliveryStatus.QUEUED
                            ).update(enqueued_at=clock.now())


def deliveries_send_range(*, campaign_id: int, first_id: int, last_id: int) -> RangeSent:
    """Send every claimable, due delivery of one campaign with an id in [first_id, last_id]. After
    DELIVERY_TASK_SECONDS the rest of the range goes back to the queue as a new task: every task
    stays far shorter than the broker's visibility timeout (so a healthy task is never handed to a
    second worker) and other work gets its turn."""
    ids = list(Delivery.objects.filter(campaign_id=campaign_id, pk__range=(first_id, last_id),
                                       status__in=CLAIMABLE_STATUSES).filter(outbox.due(clock.now()))
               .order_by("pk").values_list("pk", flat=True))
    sent, rest = _send_concurrently(ids, deadline=time.monotonic() + settings.DELIVERY_TASK_SECONDS)
    if rest:
        _stamp_enqueued(campaign_id, rest[0], last_id)
        return RangeSent(sent, (rest[0], last_id))
    campaign_finish_if_done(campaign_id=campaign_id)
    return RangeSent(sent, None)


def deliveries_send_ids(*, delivery_ids: list[int]) -> IdsSent:
    """Send the given deliveries (due retries, released claims, lost messages), then finish their
    campaigns if nothing is left. Like a range, it hands what is left after its time to a new task."""
    sent, rest = _send_concurrently(delivery_ids, deadline=time.monotonic() + settings.DELIVERY_TASK_SECONDS)
    if rest:
        Delivery.objects.filter(pk__in=rest).update(enqueued_at=clock.now())
    for campaign_id in set(Delivery.objects.filter(pk__in=delivery_ids).values_list("campaign_id", flat=True)):
        campaign_finish_if_done(campaign_id=campaign_id)
    return IdsSent(sent, rest)


def _send_concurrently(ids: list[int], *, deadline: float | None) -> tuple[int, list[int]]:
    """The send loop over `ids`, on this task's one database connection (see _send_batch). Messages
    through a channel that waits on the network (GOV.UK Notify: 100-200 ms a call) are sent up to
    DELIVERY_SEND_THREADS at once by a thread pool whose threads only make the calls: they never touch
    the database, so a worker needs one connection per process whatever the number of threads.
    Returns how many were sent and the ids not reached before `deadline` (time.monotonic())."""
    threads = max(1, settings.DELIVERY_SEND_THREADS)
    channels: dict[str, Channel] = {}
    limiter = get_rate_limiter()
    sent, rest = 0, []
    with outbox.outcomes_committed_without_flush(), ExitStack() as stack:
        pool: ThreadPoolExecutor | None = None
        for start in range(0, len(ids), SEND_BATCH_SIZE):
            if deadline is not None and time.monotonic() > deadline:
                rest = ids[start:]
                break
            batch = list(Delivery.objects.filter(pk__in=ids[start:start + SEND_BATCH_SIZE],
                                                 status__in=CLAIMABLE_STATUSES)
                         .select_related("recipient").order_by("pk"))
            _attach_campaigns(batch)
            for kind in {d.campaign.channel for d in batch} - set(channels):
                channels[kind] = channel_for(kind)
            width = threads if batch and all(getattr(channels[d.campaign.channel], "concurrent", False)
                                             for d in batch) else 1
            if width > 1 and pool is None:
                pool = stack.enter_context(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="delivery-send"))
            batch_sent, not_reached = _send_batch(batch, _opted_out_among(batch), channels=channels, limiter=limiter,
                                                  pool=pool if width > 1 else None, width=width, deadline=deadline)
            sent += batch_sent
            if not_reached:
                rest = [d.pk for d in not_reached] + ids[start + SEND_BATCH_SIZE:]
                break
    return sent, rest


def _attach_campaigns(batch: list[Delivery]) -> None:
    """Each delivery's campaign (with its trust), read once per batch rather than joined to every row:
    a batch is one campaign's, and decoding the campaign's and trust's columns 500 times was a fifth
    of a sending process's CPU (BENCHMARKS.md, "GOV.UK Notify throughput")."""
    campaigns = Campaign.objects.select_related("trust").in_bulk({d.campaign_id for d in batch})
    for delivery in batch:
        delivery.campaign = campaigns[delivery.campaign_id]


def _send_batch(batch: list[Delivery], opted_out: set[int], *, channels: dict[str, Channel], limiter: RateLimiter,
                pool: ThreadPoolExecutor | None, width: int, deadline: float | None) -> tuple[int, list[Delivery]]:
    """The send loop. Take as many rate-limit tokens as there are (up to CLAIM_BATCH_SIZE), claim that
    many deliveries in one statement (one commit), then send them in id order, at most `width` at once
    (1 without a pool: inline), and commit each message's outcome on its own as soon as its send
    answers, before any further message is sent beyond the `width` already in flight. So a killed
    worker leaves at most `width` messages unrecorded (1 for SMTP), each the first still-sending rows
    of its claim (outbox.release_stale marks only those "outcome unknown"). The rate limit is waited
    for before the claim, so a claim is held only while its messages are sent, and a claim older than
    the longest send belongs to a dead worker. Returns how many were sent and the deliveries not
    claimed before `deadline`."""
    todo: deque[Delivery] = deque(batch)
    claimed: deque[Delivery] = deque()
    in_flight: dict[Future[outbox.Outcome], Delivery] = {}
    sent = 0

    def record(result: outbox.Outcome) -> None:
        nonlocal sent
        sent += bool(outbox.write(Delivery, result) and result.status in SUCCESS_STATUSES)

    try:
        while True:
            for future in [f for f in in_flight if f.done()]:
                del in_flight[future]
                record(future.result())
            stopping = deadline is not None and time.monotonic() > deadline
            token_wait = 0.0
            if todo and not claimed and not stopping:
                wanted = min(CLAIM_BATCH_SIZE, len(todo))
                # While sends are in flight, never block here: their outcomes are written first.
                taken, token_wait = limiter.try_acquire_many(wanted) if in_flight else (limiter.acquire_many(wanted), 0)
                if taken:
                    chunk = [todo.popleft() for _ in range(taken)]
                    now = clock.now()
                    got = outbox.claim_many(Delivery, [(d.pk, d.attempts) for d in chunk], now=now,
                                            condition_sql=_CAMPAIGN_SENDING_SQL)
                    for delivery in chunk:
                        if delivery.pk in got:
                            _mark_claimed(delivery, now)
                            claimed.append(delivery)
            while claimed and len(in_flight) < width:
                # Before each send: a claim held for a third of the timeout is renewed (outbox.renew).
                claimed_at = claimed[0].claimed_at
                assert claimed_at is not None, "a claimed delivery has the time of its claim"
                if outbox.renew_due(claimed_at, clock.now()):
                    claimed = _renew_claims(claimed, in_flight.values())
                    if not claimed:
                        break
                delivery = claimed.popleft()
                if pool is None:
                    record(_send_claimed(delivery, opted_out=delivery.pk in opted_out, channels=channels))
                else:
                    in_flight[pool.submit(_send_claimed, delivery, opted_out=delivery.pk in opted_out,
                                          channels=channels)] = delivery
            if not in_flight and not claimed and (not todo or stopping):
                return sent, list(todo)
            if in_flight and (claimed or not todo or stopping or token_wait):
                wait(in_flight, timeout=token_wait or None, return_when=FIRST_COMPLETED)
    finally:
        # Whatever stops the loop, the outcome of every send that was started is written.
        for future, delivery in in_flight.items():
            try:
                record(future.result())
            except Exception:
                logger.exception("delivery %s: its outcome could not be written; the recovery task will", delivery.pk)


def _renew_claims(claimed: deque[Delivery], in_flight: Iterable[Delivery]) -> deque[Delivery]:
    """outbox.renew for every claim this loop holds that is due: the claimed deliveries not yet sent,
    and those in flight (so the recovery task never takes a message that is being sent). Returns the
    claimed deliveries still held, in order: one that the recovery task released while this worker
    was slow (stopped, starved of CPU) is dropped, not sent, because another worker may send it."""
    now = clock.now()
    groups: dict[dt.datetime, list[Delivery]] = defaultdict(list)
    for delivery in [*claimed, *in_flight]:
        if delivery.claimed_at is not None and outbox.renew_due(delivery.claimed_at, now):
            groups[delivery.claimed_at].append(delivery)
    held: set[int] = set()
    for claimed_at, group in groups.items():
        held |= outbox.renew(Delivery, [d.pk for d in group], claimed_at=claimed_at, now=now)
        for delivery in group:
            if delivery.pk in held:
                delivery.claimed_at = now
    lost = [d.pk for group in groups.values() for d in group if d.pk not in held]
    if lost:
        logger.warning("%s claimed deliveries were released while this worker was slow; not sending them", len(lost))
    return deque(d for d in claimed if d.pk not in lost)


def _opted_out_among(deliveries: list[Delivery]) -> set[int]:
    """Ids of the deliveries whose patient has opted out of their trust's messages, by any of their
    contact details (one query per trust, and a batch is one campaign's)."""
    by_trust: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        by_trust[delivery.campaign.trust_id].append(delivery)
    opted_out: set[int] = set()
    for trust_id, group in by_trust.items():
        keys = {d.pk: recipient_keys(d.recipient) for d in group}
        found = opted_out_keys(trust_id=trust_id, keys=[k for ks in keys.values() for k in ks])
        opted_out.update(pk for pk, ks in keys.items() if found.intersection(ks))
    return opted_out


def _mark_claimed(delivery: Delivery, now: dt.datetime) -> None:
    """What the claim wrote, on the object in hand."""
    delivery.status, delivery.claimed_at, delivery.next_attempt_at = DeliveryStatus.SENDING, now, None
    delivery.attempts += 1


# The claim's table condition: the delivery's campaign is sending. An EXISTS on the row being updated
# (not a join), so that PostgreSQL re-checks it with the status after waiting for a concurrent claim's
# or cancel's lock.
_CAMPAIGN_SENDING_SQL = (
    f"EXISTS (SELECT 1 FROM {Campaign._meta.db_table} c WHERE c.id = {{row}}.campaign_id"  # noqa: S608  # nosec B608
    f" AND c.status = '{CampaignStatus.SENDING.value}')"
)


def render_message(campaign: Campaign, recipient: Recipient) -> RenderedMessage:
    """The recipient's message: the campaign's text with the trust's figures and the recipient's own
    values (which win on a clash, as the brief of the recipient list is the more specific)."""
    values = {**(campaign.figures or {}), **(recipient.personalisation or {})}
    footer = opt_out_footer(kind=campaign.channel, trust_name=campaign.trust.name, recipient_id=recipient.pk)
    return RenderedMessage(
        kind=campaign.channel,
        subject=one_line(render(campaign.subject, values)) if campaign.subject else "",
        body=f"{render(campaign.body, values).rstrip()}\n\n{footer}",
        email=recipient.email, phone=recipient.phone, address_lines=list(recipient.address_lines or []),
        unsubscribe_url=one_click_url(recipient.pk) if campaign.channel == MessageChannel.EMAIL else "",
    )


def _send_claimed(delivery: Delivery, *, opted_out: bool, channels: dict[str, Channel]) -> outbox.Outcome:
    """Everything after the claim, ending in exactly one outcome (written by the caller)."""
    campaign, recipient = delivery.campaign, delivery.recipient
    if campaign.channel not in channels:
        channels[campaign.channel] = channel_for(campaign.channel)
    channel = channels[campaign.channel]

    # A second attempt: the first may have reached the provider without our hearing of it (a
    # timeout, or a worker killed between the provider's answer and our write). Ask first.
    unverifiable = False
    if delivery.attempts > 1:
        try:
            found = channel.lookup(delivery)
        except LookupUnsupported:
            found, unverifiable = None, True
        except TemporaryFailure as failure:
            # Cannot tell now: never send blind; ask again after the back-off.
            return _retry(delivery, failure.reason)
        if found is not None:
            logger.info("delivery %s: the provider already had it; not sent again", delivery.pk)
            return _result(delivery, found.status, provider_reference=found.provider_reference)
        if delivery.attempts > settings.DELIVERY_MAX_ATTEMPTS:
            # Released by the recovery task after its last attempt: the provider has no record, stop here.
            return _result(delivery, DeliveryStatus.PERMANENT_FAILURE,
                           reason=delivery.failure_reason or "Gave up: the last attempt did not finish")

    if opted_out:
        return _result(delivery, DeliveryStatus.CANCELLED, reason="Opted out")
    if not (recipient.email or recipient.phone or recipient.address_lines):
        return _result(delivery, DeliveryStatus.PERMANENT_FAILURE, reason="The contact details have been purged")
    try:
        message = render_message(campaign, recipient)
    except MissingPlaceholders as missing:
        return _result(delivery, DeliveryStatus.PERMANENT_FAILURE, reason=str(missing))

    try:
        result: SendResult = channel.send(delivery, message)
    except TemporaryFailure as failure:
        return _retry(delivery, failure.reason)
    except PermanentFailure as failure:
        logger.info("delivery %s: permanent failure", delivery.pk)
        return _result(delivery, DeliveryStatus.PERMANENT_FAILURE, reason=failure.reason)
    except Exception as error:
        # An error the channel did not classify may or may not have sent it: treat it as temporary
        # (the next attempt asks the provider first). Only the class is logged: messages of unknown
        # errors may quote the recipient.
        logger.error("delivery %s: unexpected %s while sending", delivery.pk, type(error).__name__)
        return _retry(delivery, f"Unexpected error while sending ({type(error).__name__})")
    # Sent again after a worker died mid-send, through a channel that cannot be asked (SMTP): the
    # first copy may have gone too. Said on the campaign page rather than hidden.
    duplicated = unverifiable and delivery.outcome_unknown
    if duplicated:
        logger.warning("delivery %s: sent again after a stopped worker; possibly duplicated", delivery.pk)
    return _result(delivery, result.status, provider_reference=result.provider_reference,
                   possibly_duplicated=duplicated)


def _result(delivery: Delivery, status: str, *, reason: str = "", provider_reference: str = "",
            possibly_duplicated: bool = False) -> outbox.Outcome:
    """The outbox outcome, with what only deliveries record (redacted reason, provider reference)."""
    extra: dict[str, Any] = {"outcome_unknown": False}
    if provider_reference:
        extra["provider_reference"] = provider_reference[:255]
    if possibly_duplicated:
        extra["possibly_duplicated"] = True
    return outbox.outcome(delivery.pk, attempts=delivery.attempts, status=status, now=clock.now(),
                          reason=redact(reason, delivery.recipient), **extra)


def _retry(delivery: Delivery, reason: str) -> outbox.Outcome:
    result = outbox.retry_outcome(delivery.pk, attempts=delivery.attempts, now=clock.now(),
                                  reason=redact(reason, delivery.recipient))
    logger.info("delivery %s: temporary failure on attempt %s (%s)", delivery.pk, delivery.attempts,
                "trying again after the back-off" if result.status == DeliveryStatus.AWAITING_RETRY else "giving up")
    return result


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Mark a sending campaign finished when none of its deliveries needs more work."""
    pending = Delivery.objects.filter(campaign_id=OuterRef("pk"), status__in=PENDING_STATUSES)
    now = clock.now()
    with transaction.atomic():
        finished = Campaign.objects.filter(~Exists(pending), pk=campaign_id, status=CampaignStatus.SENDING
                                           ).update(status=CampaignStatus.SENT, finished_at=now)
        if finished:
            campaign = Campaign.objects.select_related("trust").get(pk=campaign_id)
            _store_totals(campaign)
            audit_record(event="campaign.finished", trust=campaign.trust, target=campaign,
                         summary=f"Campaign finished: {campaign.totals.get('succeeded', 0):,} sent, "
                                 f"{campaign.totals.get('failed', 0):,} failed",
                         details={"totals": campaign.totals})
    return bool(finished)


def _store_totals(campaign: Campaign) -> None:
    progress = campaign_progress(campaign)
    campaign.totals = {**progress["counts"], "succeeded": progress["succeeded"], "failed": progress["failed"]}
    campaign.save(update_fields=["totals"])


# --- Recovery (the beat task) -----------------------------------------------------------------

@dataclass(frozen=True)
class Recovery:
    """What one recovery pass did (counts) and the work it leaves for the task to queue."""

    report: dict[str, int]
    # Campaigns it started: one fan-out each.
    started: list[int] = field(default_factory=list)
    # Deliveries to send, each list one broker message (at most DELIVERY_CHUNK_SIZE ids, stamped as queued).
    to_send: list[list[int]] = field(default_factory=list)


def deliveries_recover(*, now: dt.datetime | None = None) -> Recovery:
    """Everything that keeps a campaign moving when messages or workers are lost. Safe to run at any
    time and as often as wanted: every step is a conditional update, every send a claim. Beat runs
    it (outbox.recover, through notices.tasks.recover) every DELIVERY_RECOVER_EVERY_SECONDS on the housekeeping queue.

    1. release claims left "sending" past DELIVERY_SENDING_TIMEOUT_SECONDS (the worker died mid-send):
       back to awaiting_retry, due now, marked outcome_unknown; the next attempt asks the provider
       first (Notify, by reference) or, where it cannot be asked (SMTP), sends again and records the
       delivery as possibly duplicated;
    2. the due-retry sweep: retries whose time has come, in chunks (no task per retry), and workable
       deliveries whose broker message was lost (not worked for DELIVERY_REQUEUE_AFTER_SECONDS);
    3. start scheduled campaigns whose time has come (after the sweep, so that their deliveries go
       out through their own fan-out only);
    4. cancel what is still waiting in cancelled campaigns (a retry scheduled during the cancel);
    5. finish campaigns with nothing left to do."""
    now = now or clock.now()
    released_ids = outbox.release_stale(Delivery, now=now, limit=RECOVER_LIMIT, in_flight={"outcome_unknown": True})
    if released_ids:
        logger.warning("released %s deliveries left sending by a stopped worker", len(released_ids))
    campaign_sending = Campaign.objects.filter(pk=OuterRef("campaign_id"), status=CampaignStatus.SENDING)
    workable_ids = outbox.take_workable(Delivery, now=now, limit=RECOVER_LIMIT, condition=Q(Exists(campaign_sending)))
    size = max(1, settings.DELIVERY_CHUNK_SIZE)
    to_send = [released_ids[i:i + size] for i in range(0, len(released_ids), size)] + [
        workable_ids[i:i + size] for i in range(0, len(workable_ids), size)]

    started = campaigns_start_due(now=now)

    campaign_cancelled = Campaign.objects.filter(pk=OuterRef("campaign_id"), status=CampaignStatus.CANCELLED)
    cancelled = Delivery.objects.filter(Exists(campaign_cancelled), status__in=CLAIMABLE_STATUSES).update(
        status=DeliveryStatus.CANCELLED, failure_reason="The campaign was cancelled", completed_at=now,
        next_attempt_at=None)

    pending = Delivery.objects.filter(campaign_id=OuterRef("pk"), status__in=PENDING_STATUSES)
    done = Campaign.objects.filter(~Exists(pending), status=CampaignStatus.SENDING).values_list("pk", flat=True)
    finished = sum(campaign_finish_if_done(campaign_id=pk) for pk in list(done))
    report = {"started": len(started), "released": len(released_ids), "requeued": len(workable_ids),
              "cancelled": cancelled, "finished": finished}
    return Recovery(report=report, started=started, to_send=to_send)


# --- Delivery receipts (GOV.UK Notify callbacks) ----------------------------------------------

RECEIPT_RECORDED = "recorded"
RECEIPT_IGNORED = "ignored"
# The delivery is still being sent and its notification id not yet written: the receipt cannot be
# matched now, so the callback answers non-2xx and Notify calls again later.
RECEIPT_TOO_EARLY = "too_early"


def delivery_receipt_record(*, reference: str, notification_id: str, status: str) -> str:
    """Record Notify's final word on one message. Applied only to a delivery sent through Notify whose
    recorded notification id is this receipt's: the bearer token proves the caller is Notify, not that
    the reference in the body is right (a receipt naming another delivery must not change it).
    Idempotent: only a delivery still "sent" moves, so a repeated or late receipt changes nothing."""
    recorded = NOTIFY_STATUSES.get(status)
    if recorded is None or recorded == DeliveryStatus.SENT or not notification_id:
        return RECEIPT_IGNORED
    try:
        delivery_id = int(reference)
    except (TypeError, ValueError):
        return RECEIPT_IGNORED
    now = clock.now()
    reason = "" if recorded == DeliveryStatus.DELIVERED else f"GOV.UK Notify reported {status}"
    updated = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENT,
                                      provider_reference=str(notification_id)[:255]
                                      ).update(status=recorded, failure_reason=reason, completed_at=now,
                                               next_attempt_at=None)
    if updated:
        Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True).update(sent_at=now)
        return RECEIPT_RECORDED
    held = Delivery.objects.filter(pk=delivery_id).values_list("status", "provider_reference").first()
    if held is not None and held[0] == DeliveryStatus.SENDING and not held[1]:
        return RECEIPT_TOO_EARLY
    if held is not None and held[1] != str(notification_id)[:255]:
        # Ids only: a receipt carries the recipient's address ("to"), which is never logged.
        logger.warning("Notify receipt for delivery %s ignored: its notification id is not the one recorded",
                       delivery_id)
    return RECEIPT_IGNORED


# --- Retention --------------------------------------------------------------------------------

def campaign_purge(*, campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Blank every recipient's contact details and personalisation; counts and statuses stay."""
    now = now or clock.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related("trust").get(pk=campaign.pk)
        if campaign.purged_at:
            return 0
        purged = Recipient.objects.filter(campaign=campaign).update(
            email=None, phone=None, nhs_number=None, address_lines=None, personalisation=None)
        _store_totals(campaign)
        campaign.purged_at = now
        campaign.save(update_fields=["purged_at"])
        audit_record(event="campaign.purged", trust=campaign.trust, target=campaign,
                     summary=f"Contact details of {purged:,} recipients deleted after {campaign.purge_after_days} days",
                     details={"recipients": purged})
    return purged


def campaigns_purge_due(*, now: dt.datetime | None = None) -> list[int]:
    """Purge every campaign whose contact details are purge_after_days old: finished and cancelled
    ones counted from the end, drafts from the upload, scheduled ones from their sending time. A
    draft or scheduled campaign purged this way is cancelled first (it has no one left to send to)."""
    now = now or clock.now()
    counted_from: dict[str, str] = {
        CampaignStatus.SENT: "finished_at", CampaignStatus.CANCELLED: "cancelled_at",
        CampaignStatus.DRAFT: "created_at", CampaignStatus.SCHEDULED: "scheduled_for"}
    candidates = Campaign.objects.filter(purged_at__isnull=True, status__in=list(counted_from)).values(
        "pk", "status", "created_at", "scheduled_for", "finished_at", "cancelled_at", "purge_after_days")
    due = [(row["pk"], row["status"]) for row in cast("Iterable[dict[str, Any]]", candidates)
           if (row[counted_from[row["status"]]] or row["created_at"]) + dt.timedelta(days=row["purge_after_days"])
           <= now]
    for pk, status in due:
        if status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            campaign_cancel(campaign=Campaign(pk=pk), user=None)
        campaign_purge(campaign=Campaign(pk=pk), now=now)
    return [pk for pk, _ in due]


def campaign_outcomes_exported(*, campaign: Campaign, user: Any, request: Any = None) -> None:
    """Record that someone downloaded a campaign's outcomes (an export about patients, even though
    it carries no contact details)."""
    audit_record(event="campaign.outcomes_exported", summary=f"Outcomes of campaign {campaign.pk} downloaded",
                 actor=user, trust=campaign.trust, target=campaign, request=request)
