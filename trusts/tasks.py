"""Celery tasks of the trusts app (found by autodiscovery). Tasks only wrap services, take ids (or the
address typed, for a password reset) and are queued with `delay_on_commit` (strikeops.celery.Task)."""

from __future__ import annotations

from strikeops.celery import shared_task
from trusts.models import IndustrialAction, User
from trusts.scoping import trusts_visible_to_manager
from trusts.services.account_notices import account_notice_send
from trusts.services.password_reset import password_reset_send
from trusts.services.reminders import reminders_send_due, reminders_send_overdue


@shared_task(name="trusts.send_return_reminders")
def send_return_reminders() -> dict[str, int]:
    """Run by beat every 15 minutes (CELERY_BEAT_SCHEDULE): reminders and their emails as outbox rows,
    each email queued (outbox.send) once its reminder commits."""
    run = reminders_send_due()
    return {"days": run.days, "claimed": run.claimed, "emails": run.emails, "no_contact": run.no_contact}


# A manager waits for these: if the broker cannot be reached, they are sent in the request.
@shared_task(name="trusts.send_overdue_reminders", run_here_if_unqueued=True)
def send_overdue_reminders(action_id: int, user_id: int) -> dict[str, int]:
    """A manager's "send a reminder now to every overdue trust": one email per (trust, day) can be
    hundreds, too many for a request. The manager's scope is read again here, when the work runs."""
    user = User.objects.get(pk=user_id)
    action = IndustrialAction.objects.get(pk=action_id)
    run = reminders_send_overdue(action=action, trusts=trusts_visible_to_manager(user), user=user)
    return {"days": run.days, "claimed": run.claimed, "emails": run.emails, "no_contact": run.no_contact,
            "skipped": run.skipped}


@shared_task(name="trusts.send_password_reset", ignore_result=True)
def send_password_reset(email: str) -> None:
    password_reset_send(email=email)


@shared_task(name="trusts.send_account_notice", ignore_result=True)
def send_account_notice(user_id: int, kind: str) -> None:
    account_notice_send(user_id=user_id, kind=kind)
