"""Celery tasks of the trusts app (autodiscovered). Tasks only wrap services."""

from __future__ import annotations

from celery import shared_task

from trusts.services.reminders import reminders_send_due


@shared_task(name="trusts.send_return_reminders")
def send_return_reminders() -> dict[str, int]:
    """Run by beat every 15 minutes (CELERY_BEAT_SCHEDULE)."""
    run = reminders_send_due()
    return {"days": run.days, "claimed": run.claimed, "sent": run.sent, "failed": run.failed}
