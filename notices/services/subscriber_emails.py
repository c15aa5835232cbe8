"""Emails to notice subscribers, the outbox side: one SubscriberEmail row per message (a
subscription's confirmation link, a published or updated notice, a withdrawal), sent at most once
through the outbox engine, recovered after a lost broker message or a dead worker, and the retention
of subscriptions whose emails never worked. Run by the Celery tasks (notices/tasks.py), which queue
what these functions return; the people's side (subscribe, confirm, unsubscribe) is
notices/services/subscriptions.py.

Subscriber addresses are patient contact details: they never go into the audit log or a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from notices import outbox
from notices.channels import PermanentFailure, TemporaryFailure, send_email, unsubscribe_headers
from notices.models import (
    NoticeStatus,
    NoticeVersion,
    OutboxStatus,
    SubscriberEmail,
    SubscriberEmailKind,
    Subscription,
    SubscriptionStatus,
)
from notices.models.outbox import CLAIMABLE_STATUSES

logger = logging.getLogger(__name__)

CONFIRM_SALT = "notices.subscription.confirm"
CONFIRM_MAX_AGE = dt.timedelta(days=7)
FAN_OUT_CHUNK = 1000
RECOVER_LIMIT = 10_000


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute_url(reverse("notices:unsubscribe", args=[subscription.unsubscribe_token]))


def _confirmation_token(subscription: Subscription) -> str:
    # Bound to the time this confirmation was sent, so that only the latest email's link works and
    # a link from before an unsubscribe cannot quietly subscribe the address again.
    assert subscription.confirmation_sent_at is not None
    return signing.dumps([subscription.pk, subscription.confirmation_sent_at.timestamp()], salt=CONFIRM_SALT)


def _message(*, subscription: Subscription, subject: str, template: str, context: dict[str, object]) -> EmailMessage:
    """A plain-text email with RFC 8058 one-click unsubscribe headers: mail clients show an
    "Unsubscribe" button that POSTs "List-Unsubscribe=One-Click" to the link."""
    link = unsubscribe_url(subscription)
    body = render_to_string(template, {**context, "unsubscribe_url": link, "trust": subscription.trust})
    return EmailMessage(
        subject=subject, body=body, to=[subscription.email],
        headers=unsubscribe_headers(link),
    )

def subscriber_emails_create(*, version_id: int, kind: str = SubscriberEmailKind.NOTICE) -> int:
    """One outbox row per confirmed subscriber of the trust for this version (or for its notice's
    withdrawal), in chunks; rows that exist already (a second run) are left alone by the unique
    constraint."""
    version = NoticeVersion.objects.select_related("notice").get(pk=version_id)
    notice = version.notice
    # Only people subscribed when this version went out (or when the notice was withdrawn): a late run
    # (the recovery task) must not send yesterday's news to someone who subscribed today.
    as_of = notice.withdrawn_at if kind == SubscriberEmailKind.WITHDRAWAL else version.published_at
    if as_of is None:
        return 0
    subscriber_ids = (Subscription.objects.filter(trust_id=notice.trust_id, status=SubscriptionStatus.CONFIRMED)
                      .exclude(confirmed_at__gt=as_of)
                      .order_by("pk").values_list("pk", flat=True).iterator(chunk_size=FAN_OUT_CHUNK))
    created = 0
    chunk: list[SubscriberEmail] = []
    # Stamped as queued now: the caller queues each row next (else the recovery task finds them).
    now = timezone.now()
    for subscription_id in subscriber_ids:
        chunk.append(SubscriberEmail(version_id=version_id, subscription_id=subscription_id, kind=kind,
                                     enqueued_at=now))
        if len(chunk) == FAN_OUT_CHUNK:
            created += len(SubscriberEmail.objects.bulk_create(chunk, ignore_conflicts=True))
            chunk = []
    if chunk:
        created += len(SubscriberEmail.objects.bulk_create(chunk, ignore_conflicts=True))
    return created


def subscriber_email_ids_queued(*, version_id: int, kind: str = SubscriberEmailKind.NOTICE) -> Iterator[int]:
    return (SubscriberEmail.objects.filter(version_id=version_id, kind=kind, status=OutboxStatus.QUEUED)
            .order_by("pk").values_list("pk", flat=True).iterator(chunk_size=FAN_OUT_CHUNK))


def _one_line(text: str) -> str:
    # A line break in a header would make the email unsendable (and, unchecked, inject headers).
    return " ".join(text.split())


def _subscriber_message(row: SubscriberEmail) -> EmailMessage:
    if row.kind == SubscriberEmailKind.CONFIRMATION:
        subscription = row.subscription
        confirm_url = absolute_url(reverse("notices:subscription_confirm", args=[_confirmation_token(subscription)]))
        return _message(
            subscription=subscription,
            subject=_one_line(f"Confirm that you want notices from {subscription.trust.name}"),
            template="notices/email/confirm_subscription.txt",
            context={"confirm_url": confirm_url, "valid_days": CONFIRM_MAX_AGE.days},
        )
    assert row.version is not None  # a database constraint: every other kind has a version
    version, notice = row.version, row.version.notice
    if row.kind == SubscriberEmailKind.WITHDRAWAL:
        return _message(
            subscription=row.subscription, subject=_one_line(f"Withdrawn: {version.title}"),
            template="notices/email/withdrawn.txt",
            context={"version": version, "notice": notice, "notice_url": absolute_url(notice.get_absolute_url())},
        )
    updated = version.number > 1
    return _message(
        subscription=row.subscription, subject=_one_line(f"{'Updated: ' if updated else ''}{version.title}"),
        template="notices/email/notice.txt",
        context={"version": version, "notice": notice, "updated": updated,
                 "notice_url": absolute_url(notice.get_absolute_url())},
    )


def _skip_reason(row: SubscriberEmail) -> str:
    """Why this email must not go now, or "" if it may."""
    if row.kind == SubscriberEmailKind.CONFIRMATION:
        if row.subscription.status != SubscriptionStatus.PENDING or row.subscription.confirmation_sent_at is None:
            return "No longer waiting for confirmation"
        return ""
    if row.subscription.status != SubscriptionStatus.CONFIRMED:
        return "Unsubscribed before sending"
    if row.kind == SubscriberEmailKind.NOTICE and row.version and row.version.notice.status == NoticeStatus.WITHDRAWN:
        return "The notice was withdrawn before sending"
    return ""


def subscriber_email_send(*, email_id: int) -> str | None:
    """Send one outbox row at most once, through the outbox engine: claim it (a conditional UPDATE
    only one caller can win), send outside any transaction, write the one outcome. Temporary failures
    wait for the recovery task's due-retry sweep. Returns the status recorded, or None when this call
    did nothing (someone else holds or has finished the row, or it is not due)."""
    row = (SubscriberEmail.objects.select_related("subscription__trust", "version__notice__trust")
           .filter(pk=email_id, status__in=CLAIMABLE_STATUSES).first())
    if row is None:
        return None
    now = timezone.now()
    if not outbox.claim(SubscriberEmail, row.pk, attempts=row.attempts, now=now):
        return None
    row.attempts += 1
    reason = _skip_reason(row)
    if reason:
        outbox.settle(SubscriberEmail, row.pk, attempts=row.attempts, status=OutboxStatus.CANCELLED, now=now,
                      reason=reason)
        return OutboxStatus.CANCELLED
    try:
        send_email(_subscriber_message(row))
    except TemporaryFailure as failure:
        logger.warning("Subscriber email %s failed (attempt %s): %s", row.pk, row.attempts, failure.reason)
        return outbox.retry_or_fail(SubscriberEmail, row.pk, attempts=row.attempts, now=timezone.now(),
                                    reason=failure.reason)
    except PermanentFailure as failure:
        logger.warning("Subscriber email %s failed for good: %s", row.pk, failure.reason)
        outbox.settle(SubscriberEmail, row.pk, attempts=row.attempts, status=OutboxStatus.PERMANENT_FAILURE,
                      now=timezone.now(), reason=failure.reason)
        return OutboxStatus.PERMANENT_FAILURE
    except Exception as error:
        # Unclassified (a bad header, a template error): recorded, never left "sending"; retried like a
        # temporary failure, so it ends as a permanent failure after the last attempt. Only the class
        # is logged: the message of an unknown error may quote the address.
        logger.error("Subscriber email %s: unexpected %s while sending", row.pk, type(error).__name__)
        return outbox.retry_or_fail(SubscriberEmail, row.pk, attempts=row.attempts, now=timezone.now(),
                                    reason=f"Unexpected error while sending ({type(error).__name__})")
    outbox.settle(SubscriberEmail, row.pk, attempts=row.attempts, status=OutboxStatus.SENT, now=timezone.now())
    return OutboxStatus.SENT


def subscriber_emails_recover(*, now: dt.datetime, stale_after: dt.timedelta = dt.timedelta(minutes=10),
                              window: dt.timedelta = dt.timedelta(days=2)) -> dict[str, list[int]]:
    """The subscriber part of the outbox recovery (run by the one recovery task):
    - fan-outs a lost broker message left undone: versions published, and notices withdrawn, recently
      (but not in the last few minutes, whose fan-out may still be on its way) with no outbox rows yet;
    - claims left "sending" by a worker that died (released, sent again: an SMTP server cannot be
      asked whether it had the first);
    - rows due: queued ones no broker message carries any more, and retries whose time has come.
    Returns the ids to queue: {"versions": [...], "withdrawals": [...], "emails": [...]}."""
    versions = list(NoticeVersion.objects.filter(published_at__gte=now - window, published_at__lte=now - stale_after)
                    .filter(~Exists(SubscriberEmail.objects.filter(version=OuterRef("pk"),
                                                                   kind=SubscriberEmailKind.NOTICE)))
                    .values_list("pk", flat=True))
    withdrawals = list(NoticeVersion.objects.filter(
        notice__status=NoticeStatus.WITHDRAWN, notice__current_version=F("pk"),
        notice__withdrawn_at__gte=now - window, notice__withdrawn_at__lte=now - stale_after,
    ).filter(~Exists(SubscriberEmail.objects.filter(version=OuterRef("pk"), kind=SubscriberEmailKind.WITHDRAWAL)))
        .values_list("pk", flat=True))
    released = outbox.release_stale(SubscriberEmail, now=now, limit=RECOVER_LIMIT)
    workable = outbox.take_workable(SubscriberEmail, now=now, limit=RECOVER_LIMIT)
    return {"versions": versions, "withdrawals": withdrawals, "emails": released + workable}


# A temporary failure is final once the attempts ran out.
FAILED_FOR_GOOD = [OutboxStatus.PERMANENT_FAILURE, OutboxStatus.TEMPORARY_FAILURE]


def subscriptions_purge_bounced(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Retention for subscriber addresses that never worked, SUBSCRIBER_BOUNCED_RETENTION_DAYS on:
    a request never confirmed (its confirmation bounced or was ignored) is deleted; a confirmed
    subscription whose latest email failed for good is ended and its address replaced by a
    placeholder, so that the per-notice email counts (rows that point at it) stay."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SUBSCRIBER_BOUNCED_RETENTION_DAYS)
    pending, _ = Subscription.objects.filter(status=SubscriptionStatus.PENDING, created_at__lte=cutoff).delete()
    latest = SubscriberEmail.objects.filter(subscription=OuterRef("pk")).order_by("-created_at", "-pk")
    bounced = (Subscription.objects.filter(status=SubscriptionStatus.CONFIRMED)
               .annotate(last_status=latest.values("status")[:1], last_at=latest.values("created_at")[:1])
               .filter(last_status__in=FAILED_FOR_GOOD, last_at__lte=cutoff).values_list("pk", flat=True))
    ended = 0
    for pk in list(bounced):
        ended += Subscription.objects.filter(pk=pk, status=SubscriptionStatus.CONFIRMED).update(
            status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now, email=f"bounced-{pk}@purged.invalid")
    return {"pending_deleted": pending, "bounced_ended": ended}
