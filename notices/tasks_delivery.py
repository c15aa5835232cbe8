"""Celery tasks for campaign delivery. Each wraps one service (notices.services.delivery) and
carries ids only: never contact details or message text, which would sit in Redis and in logs.

Every task can run twice, or at the same time as itself, without sending anything twice: every send
goes through the claim in the service's send loop. Tasks are acknowledged late and re-queued if
their worker dies (settings CELERY_TASK_ACKS_LATE / CELERY_TASK_REJECT_ON_WORKER_LOST, and the
broker's visibility timeout); anything lost anyway is found again by the outbox's one recovery task
(outbox.tasks.outbox_recover, beat every DELIVERY_RECOVER_EVERY_SECONDS), which runs `recover` below
(registered by notices.apps). Queues (CELERY_TASK_ROUTES): sends on "bulk", recovery
and purge on "housekeeping".
"""

from __future__ import annotations

from celery import shared_task

from notices.models import SubscriberEmailKind
from notices.services import delivery as service
from notices.services.subscriptions import subscriber_emails_recover
from notices.tasks_subscriptions import notify_subscribers, send_subscriber_email
from trusts import clock


@shared_task(name="notices.campaign_fan_out")
def campaign_fan_out(campaign_id: int) -> int:
    """Queue one deliveries_send_range message per id range of the campaign's queued deliveries."""
    return len(service.campaign_fan_out(campaign_id=campaign_id))


@shared_task(name="notices.deliveries_send_range")
def deliveries_send_range(campaign_id: int, first_id: int, last_id: int) -> int:
    return service.deliveries_send_range(campaign_id=campaign_id, first_id=first_id, last_id=last_id)


@shared_task(name="notices.deliveries_send_ids")
def deliveries_send_ids(delivery_ids: list[int]) -> int:
    """Due retries, released claims and re-queued deliveries (at most DELIVERY_CHUNK_SIZE ids)."""
    return service.deliveries_send_ids(delivery_ids=delivery_ids)


def recover() -> dict[str, int]:
    """The notices' part of the outbox recovery (outbox.registry): campaign deliveries, then emails
    to subscribers."""
    report = service.deliveries_recover()
    work = subscriber_emails_recover(now=clock.now())
    for version_id in work["versions"]:
        notify_subscribers.delay(version_id)
    for version_id in work["withdrawals"]:
        notify_subscribers.delay(version_id, SubscriberEmailKind.WITHDRAWAL)
    for email_id in work["emails"]:
        send_subscriber_email.delay(email_id)
    return {**report, **{f"subscriber_{name}": len(ids) for name, ids in work.items()}}


@shared_task(name="notices.campaigns_purge")
def campaigns_purge() -> int:
    return len(service.campaigns_purge_due())
