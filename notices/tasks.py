"""Celery tasks of the notices app (found by autodiscovery). Each wraps a service and carries ids
only: never contact details or message text, which would sit in Redis and in logs. A task queues
the follow-up work its service returns (the rest of a range, ids to send, rows to email), always
with `delay_on_commit` (strikeops.celery.Task): the services import no task, so nothing here is
imported back. Queues (CELERY_TASK_ROUTES): sends on "bulk", subscriber emails on "transactional",
recovery and purges on "housekeeping".

Every task can run twice, or at the same time as itself, without sending anything twice: every send
goes through a claim (outbox/engine.py). Tasks are acknowledged late and re-queued if their worker
dies (settings CELERY_TASK_ACKS_LATE / CELERY_TASK_REJECT_ON_WORKER_LOST, and the broker's visibility
timeout); anything lost anyway is found again by the outbox's one recovery task (outbox.tasks,
"outbox.recover", beat every DELIVERY_RECOVER_EVERY_SECONDS), which runs `recover` below (registered
by notices.apps).
"""

from __future__ import annotations

from notices.models import SubscriberEmailKind
from notices.services import delivery, subscriber_emails
from strikeops.celery import shared_task
from trusts import clock

# --- Campaign delivery (notices/services/delivery.py) -----------------------------------------


@shared_task(name="notices.campaign_fan_out")
def campaign_fan_out(campaign_id: int) -> int:
    """One deliveries_send_range message per id range of the campaign's queued deliveries."""
    ranges = delivery.campaign_fan_out(campaign_id=campaign_id)
    for first_id, last_id in ranges:
        deliveries_send_range.delay_on_commit(campaign_id, first_id, last_id)
    return len(ranges)


@shared_task(name="notices.deliveries_send_range")
def deliveries_send_range(campaign_id: int, first_id: int, last_id: int) -> int:
    run = delivery.deliveries_send_range(campaign_id=campaign_id, first_id=first_id, last_id=last_id)
    if run.rest is not None:
        deliveries_send_range.delay_on_commit(campaign_id, *run.rest)
    return run.sent


@shared_task(name="notices.deliveries_send_ids")
def deliveries_send_ids(delivery_ids: list[int]) -> int:
    """Due retries, released claims and re-queued deliveries (at most DELIVERY_CHUNK_SIZE ids)."""
    run = delivery.deliveries_send_ids(delivery_ids=delivery_ids)
    if run.rest:
        deliveries_send_ids.delay_on_commit(run.rest)
    return run.sent


@shared_task(name="notices.campaigns_purge")
def campaigns_purge() -> int:
    return len(delivery.campaigns_purge_due())


# --- Emails to subscribers (notices/services/subscriber_emails.py) -----------------------------


@shared_task(name="notices.notify_subscribers")
def notify_subscribers(version_id: int, kind: str = SubscriberEmailKind.NOTICE) -> int:
    """Fan out: outbox rows first, then one send task per queued row. Running it again queues the
    rows that are still queued; the claim in the send makes any duplicate task a no-op."""
    created = subscriber_emails.subscriber_emails_create(version_id=version_id, kind=kind)
    for email_id in subscriber_emails.subscriber_email_ids_queued(version_id=version_id, kind=kind):
        send_subscriber_email.delay_on_commit(email_id)
    return created


# One small email a person may be waiting for (a confirmation link): if the broker cannot be reached
# when it is queued, it is sent in the process that queued it.
@shared_task(name="notices.send_subscriber_email", run_here_if_unqueued=True)
def send_subscriber_email(email_id: int) -> str | None:
    """One outbox row: a confirmation link, a notice or a withdrawal."""
    return subscriber_emails.subscriber_email_send(email_id=email_id)


@shared_task(name="notices.subscriptions_purge_bounced")
def purge_bounced_subscriptions() -> dict[str, int]:
    return subscriber_emails.subscriptions_purge_bounced()


# --- The notices' part of the outbox recovery ---------------------------------------------------


def recover() -> dict[str, int]:
    """Run by the outbox's one recovery task (outbox.registry; beat, every
    DELIVERY_RECOVER_EVERY_SECONDS, queue "housekeeping"): campaign deliveries, then emails to
    subscribers; queues the work each recovery returns."""
    recovery = delivery.deliveries_recover()
    for campaign_id in recovery.started:
        campaign_fan_out.delay_on_commit(campaign_id)
    for ids in recovery.to_send:
        deliveries_send_ids.delay_on_commit(ids)
    work = subscriber_emails.subscriber_emails_recover(now=clock.now())
    for version_id in work["versions"]:
        notify_subscribers.delay_on_commit(version_id)
    for version_id in work["withdrawals"]:
        notify_subscribers.delay_on_commit(version_id, SubscriberEmailKind.WITHDRAWAL)
    for email_id in work["emails"]:
        send_subscriber_email.delay_on_commit(email_id)
    return {**recovery.report, **{f"subscriber_{name}": len(ids) for name, ids in work.items()}}
