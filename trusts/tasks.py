"""Celery tasks of the trusts app (autodiscovered). Tasks only wrap services."""

from __future__ import annotations

from celery import shared_task

from trusts.services.reminders import reminders_send_due
from trusts.services.reopenings import reopening_notify


@shared_task(name="trusts.send_return_reminders")
def send_return_reminders() -> dict[str, int]:
    """Run by beat every 15 minutes (CELERY_BEAT_SCHEDULE)."""
    run = reminders_send_due()
    return {"days": run.days, "claimed": run.claimed, "sent": run.sent, "failed": run.failed}


@shared_task(name="trusts.send_reopening_email", acks_late=True)
def send_reopening_email(reopening_id: int) -> int:
    """Queued after a reopening commits (trusts.services.reopenings.returns_reopen)."""
    return reopening_notify(reopening_id=reopening_id)
