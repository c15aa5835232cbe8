"""Celery tasks for notice subscriptions (queue "transactional"). Each task only wraps a service and
takes ids, never rows. Retries and lost work are the one recovery task's (outbox.tasks.outbox_recover)."""

from __future__ import annotations

from celery import shared_task

from notices.models import SubscriberEmailKind
from notices.services.subscriptions import (
    subscriber_email_ids_queued,
    subscriber_email_send,
    subscriber_emails_create,
    subscriptions_purge_bounced,
)


@shared_task(name="notices.notify_subscribers")
def notify_subscribers(version_id: int, kind: str = SubscriberEmailKind.NOTICE) -> int:
    """Fan out: outbox rows first, then one send task per queued row. Running it again queues the
    rows that are still queued; the claim in the send makes any duplicate task a no-op."""
    created = subscriber_emails_create(version_id=version_id, kind=kind)
    for email_id in subscriber_email_ids_queued(version_id=version_id, kind=kind):
        send_subscriber_email.delay(email_id)
    return created


@shared_task(name="notices.send_subscriber_email")
def send_subscriber_email(email_id: int) -> str | None:
    """One outbox row: a confirmation link, a notice or a withdrawal."""
    return subscriber_email_send(email_id=email_id)


@shared_task(name="notices.subscriptions_purge_bounced")
def purge_bounced_subscriptions() -> dict[str, int]:
    return subscriptions_purge_bounced()
