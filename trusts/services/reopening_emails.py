"""The email telling a trust's administrators that its returns are reopened (run by the task
trusts.send_reopening_email, which trusts/services/reopenings.py queues after a reopening commits)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from trusts.dates import formatted
from trusts.models import ReturnReopening, Trust
from trusts.selectors.completeness import trust_administrators

logger = logging.getLogger(__name__)


def reopening_banner_text(reopening: ReturnReopening) -> str:
    """What the trust's pages and its email say about a reopening in force."""
    return (f"Your returns for {reopening.action.name} are reopened until "
            f"{formatted(reopening.closes_at, 'time_on_day')}, so you can correct them.")


def reopening_notify(*, reopening_id: int, now: dt.datetime | None = None) -> int:
    """Email the trust's administrators, once, that its returns are reopened: the row is claimed
    with a conditional UPDATE first, so a second run (a retried task) sends nothing. Returns the
    number of emails sent. A transport error is logged and the claim kept (no second email)."""
    now = now or timezone.now()
    if not ReturnReopening.objects.filter(pk=reopening_id, notified_at__isnull=True).update(notified_at=now):
        return 0
    reopening = ReturnReopening.objects.select_related("action", "trust").get(pk=reopening_id)
    trust = Trust.objects.prefetch_related(trust_administrators()).get(pk=reopening.trust_id)
    recipients = [m.user.email for m in trust.administrator_memberships]  # type: ignore[attr-defined]
    body = (f"{reopening_banner_text(reopening)}\n\n"
            f"NHS England's reason: {reopening.reason}\n\n"
            f"Sign in to {settings.SERVICE_NAME} and choose Returns to change a figure. Each change needs a "
            "reason. After that time the returns lock again.\n\n"
            "You are receiving this because you are a trust administrator for this trust.\n")
    subject = f"{trust.ods_code} returns for {reopening.action.name} reopened"
    try:
        with get_connection() as connection:
            # One message per person: administrators of a trust need not see each other's addresses.
            connection.send_messages([EmailMessage(subject=subject, body=body, to=[to],
                                                   from_email=settings.DEFAULT_FROM_EMAIL) for to in recipients])
    except Exception:  # recorded in the log; the claim stays, so nobody gets it twice
        logger.exception("Reopening email for reopening %s failed", reopening_id)
        return 0
    return len(recipients)
