"""Celery tasks for notice subscriptions. Each task only wraps a service and takes ids, never rows."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from notices.services.subscriptions import (
    RETRY,
    subscriber_email_ids_queued,
    subscriber_email_send,
    subscriber_emails_create,
    subscriber_emails_to_recover,
    subscription_confirmation_send,
)


@shared_task(name="notices.send_subscription_confirmation", acks_late=True)
def send_subscription_confirmation(subscription_id: int) -> bool:
    return subscription_confirmation_send(subscription_id=subscription_id)


@shared_task(name="notices.notify_subscribers", acks_late=True)
def notify_subscribers(version_id: int) -> int:
    """Fan out: outbox rows first, then one send task per queued row. Running it again queues the
    rows that are still queued; the claim in the send makes any duplicate task a no-op."""
    created = subscriber_emails_create(version_id=version_id)
    for email_id in subscriber_email_ids_queued(version_id=version_id):
        send_subscriber_email.delay(email_id)
    return created


@shared_task(name="notices.send_subscriber_email", acks_late=True)
def send_subscriber_email(email_id: int) -> str:
    outcome, attempts = subscriber_email_send(email_id=email_id)
    if outcome == RETRY:
        # The row is queued again; back off exponentially (1 minute, then 2, ...). Queuing a fresh task
        # rather than self.retry() keeps in-process (eager) runs free of Retry exceptions.
        send_subscriber_email.apply_async((email_id,), countdown=60 * 2 ** (attempts - 1))
    return outcome


@shared_task(name="notices.recover_subscriber_emails")
def recover_subscriber_emails() -> tuple[int, int]:
    """Beat: queue again what a lost broker message (Redis down at publish time) left behind.
    Safe to run any number of times: outbox rows are unique and each send claims its row."""
    versions, emails = subscriber_emails_to_recover(now=timezone.now())
    for version_id in versions:
        notify_subscribers.delay(version_id)
    for email_id in emails:
        send_subscriber_email.delay(email_id)
    return len(versions), len(emails)
