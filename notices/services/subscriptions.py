"""Email subscriptions to a trust's notices: double opt-in, one-click unsubscribe (RFC 8058), and
emailing confirmed subscribers exactly once per published version of a notice.

Subscriber addresses are patient contact details: they never go into the audit log or a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterator

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from notices.models import (
    NoticeStatus,
    NoticeVersion,
    SubscriberEmail,
    SubscriberEmailStatus,
    Subscription,
    SubscriptionStatus,
)
from notices.models.subscriptions import new_token
from trusts.models import Trust
from trusts.services.audit import audit_record

logger = logging.getLogger(__name__)

CONFIRM_SALT = "notices.subscription.confirm"
CONFIRM_MAX_AGE = dt.timedelta(days=7)
# Someone typing another person's address again and again must not turn us into a mail cannon.
RESEND_CONFIRMATION_AFTER = dt.timedelta(minutes=10)
SEND_ATTEMPTS = 3
FAN_OUT_CHUNK = 1000


class SubscriptionError(ValueError):
    pass


# subscriber_email_send's outcome when the mail server could not take the message now.
RETRY = "retry"


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
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def subscription_request(*, trust: Trust, email: str, request: HttpRequest | None = None) -> Subscription:
    """Start (or restart) a subscription and, after commit, email a confirmation link.

    The caller shows the same page whatever the state, so nobody can learn who is subscribed."""
    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        subscription, created = Subscription.objects.select_for_update().get_or_create(email=email, trust=trust)
        if subscription.status == SubscriptionStatus.CONFIRMED:
            return subscription
        if subscription.status == SubscriptionStatus.UNSUBSCRIBED:
            subscription.status = SubscriptionStatus.PENDING
            subscription.unsubscribed_at = None
            subscription.unsubscribe_token = new_token()
        elif subscription.confirmation_sent_at and now - subscription.confirmation_sent_at < RESEND_CONFIRMATION_AFTER:
            return subscription
        subscription.confirmation_sent_at = now
        subscription.save()
        audit_record(event="subscription.requested", summary=f"Email subscription requested for {trust.ods_code}",
                     trust=trust, target=subscription, details={"new": created}, request=request)
        from notices.tasks_subscriptions import send_subscription_confirmation
        from strikeops.queueing import enqueue_on_commit

        # One small email: if the broker is down, send it in this request rather than lose it.
        subscription_pk = subscription.pk
        enqueue_on_commit(send_subscription_confirmation, subscription_pk, what=f"subscription {subscription_pk}",
                          fallback=lambda: send_subscription_confirmation.apply(args=(subscription_pk,)))
    return subscription


def subscription_confirmation_send(*, subscription_id: int) -> bool:
    subscription = Subscription.objects.select_related("trust").filter(
        pk=subscription_id, status=SubscriptionStatus.PENDING).first()
    if subscription is None or subscription.confirmation_sent_at is None:
        return False
    confirm_url = absolute_url(reverse("notices:subscription_confirm", args=[_confirmation_token(subscription)]))
    try:
        _message(
            subscription=subscription, subject=f"Confirm that you want notices from {subscription.trust.name}",
            template="notices/email/confirm_subscription.txt",
            context={"confirm_url": confirm_url, "valid_days": CONFIRM_MAX_AGE.days},
        ).send()
    except (smtplib.SMTPException, OSError) as exc:
        # Recorded, not raised (a raise would fail the request when tasks run in-process, and lose the
        # reason in a worker): the link never went out, so forget that it did, and asking again sends
        # a new one at once instead of after RESEND_CONFIRMATION_AFTER. The log has no address.
        logger.warning("Confirmation email for subscription %s failed: %s", subscription.pk, _describe(exc))
        Subscription.objects.filter(pk=subscription.pk, confirmation_sent_at=subscription.confirmation_sent_at
                                    ).update(confirmation_sent_at=None)
        return False
    return True


def subscription_for_confirmation(*, token: str) -> Subscription:
    """The pending (or already confirmed) subscription a confirmation link is for."""
    try:
        pk, sent_at = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise SubscriptionError("This link has expired. Subscribe again to get a new one.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise SubscriptionError("This link is not valid. Check that you copied all of it from the email.") from None
    subscription = Subscription.objects.select_related("trust").filter(pk=pk).first()
    if (subscription is None or subscription.confirmation_sent_at is None
            or subscription.confirmation_sent_at.timestamp() != sent_at
            or subscription.status == SubscriptionStatus.UNSUBSCRIBED):
        raise SubscriptionError("This link is no longer valid. Subscribe again to get a new one.")
    return subscription


@transaction.atomic
def subscription_confirm(*, token: str, request: HttpRequest | None = None) -> Subscription:
    subscription = subscription_for_confirmation(token=token)
    updated = Subscription.objects.filter(pk=subscription.pk, status=SubscriptionStatus.PENDING).update(
        status=SubscriptionStatus.CONFIRMED, confirmed_at=timezone.now())
    if updated:
        audit_record(event="subscription.confirmed", summary=f"Email subscription confirmed for "
                     f"{subscription.trust.ods_code}", trust=subscription.trust, target=subscription, request=request)
    subscription.refresh_from_db()
    return subscription


def subscription_for_unsubscribe(*, token: str) -> Subscription | None:
    return Subscription.objects.select_related("trust").filter(unsubscribe_token=token).first()


@transaction.atomic
def subscription_unsubscribe(*, token: str, request: HttpRequest | None = None) -> Subscription | None:
    """Stop every email to this subscription. Safe to repeat (mail clients may POST more than once)."""
    subscription = subscription_for_unsubscribe(token=token)
    if subscription is None:
        return None
    updated = Subscription.objects.filter(pk=subscription.pk).exclude(status=SubscriptionStatus.UNSUBSCRIBED).update(
        status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    if updated:
        audit_record(event="subscription.unsubscribed", summary=f"Email subscription ended for "
                     f"{subscription.trust.ods_code}", trust=subscription.trust, target=subscription, request=request)
    subscription.refresh_from_db()
    return subscription


def subscriber_emails_create(*, version_id: int) -> int:
    """One outbox row per confirmed subscriber of the trust for this version, in chunks; rows that
    exist already (a second run) are left alone by the unique constraint."""
    version = NoticeVersion.objects.select_related("notice").get(pk=version_id)
    # Only people subscribed when this version went out: a late run (the recovery task) must not
    # send yesterday's notice to someone who subscribed today.
    subscriber_ids = (Subscription.objects.filter(trust_id=version.notice.trust_id,
                                                  status=SubscriptionStatus.CONFIRMED)
                      .exclude(confirmed_at__gt=version.published_at)
                      .order_by("pk").values_list("pk", flat=True).iterator(chunk_size=FAN_OUT_CHUNK))
    created = 0
    chunk: list[SubscriberEmail] = []
    for subscription_id in subscriber_ids:
        chunk.append(SubscriberEmail(version_id=version_id, subscription_id=subscription_id))
        if len(chunk) == FAN_OUT_CHUNK:
            created += len(SubscriberEmail.objects.bulk_create(chunk, ignore_conflicts=True))
            chunk = []
    if chunk:
        created += len(SubscriberEmail.objects.bulk_create(chunk, ignore_conflicts=True))
    return created


def subscriber_email_ids_queued(*, version_id: int) -> Iterator[int]:
    return (SubscriberEmail.objects.filter(version_id=version_id, status=SubscriberEmailStatus.QUEUED)
            .order_by("pk").values_list("pk", flat=True).iterator(chunk_size=FAN_OUT_CHUNK))


def subscriber_email_send(*, email_id: int) -> tuple[str, int]:
    """Send one outbox row at most once: claim it with a conditional UPDATE (only one caller can
    move it from queued to sending), send outside any transaction, record the outcome.

    Returns (outcome, attempts so far); outcome "retry" means the row is queued again and the
    caller should send it later."""
    claimed = SubscriberEmail.objects.filter(pk=email_id, status=SubscriberEmailStatus.QUEUED).update(
        status=SubscriberEmailStatus.SENDING, attempts=F("attempts") + 1)
    if claimed != 1:
        return "not-claimed", 0
    row = SubscriberEmail.objects.select_related("subscription__trust", "version__notice").get(pk=email_id)
    notice = row.version.notice
    if row.subscription.status != SubscriptionStatus.CONFIRMED or notice.status == NoticeStatus.WITHDRAWN:
        _finish(row, SubscriberEmailStatus.SKIPPED)
        return SubscriberEmailStatus.SKIPPED, row.attempts
    version = row.version
    updated = version.number > 1
    message = _message(
        subscription=row.subscription,
        subject=f"{'Updated: ' if updated else ''}{version.title}",
        template="notices/email/notice.txt",
        context={"version": version, "notice": notice, "updated": updated,
                 "notice_url": absolute_url(notice.get_absolute_url())},
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        error = _describe(exc)
        logger.warning("Subscriber email %s failed (attempt %s): %s", row.pk, row.attempts, error)
        if _is_permanent(exc) or row.attempts >= SEND_ATTEMPTS:
            _finish(row, SubscriberEmailStatus.FAILED, error=error)
            return SubscriberEmailStatus.FAILED, row.attempts
        SubscriberEmail.objects.filter(pk=row.pk, status=SubscriberEmailStatus.SENDING).update(
            status=SubscriberEmailStatus.QUEUED, error=error[:300])
        return RETRY, row.attempts
    _finish(row, SubscriberEmailStatus.SENT)
    return SubscriberEmailStatus.SENT, row.attempts


def _is_permanent(exc: Exception) -> bool:
    """5xx replies are permanent (RFC 5321); 4xx replies and network errors are worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _describe(exc: Exception) -> str:
    """The server's reply without the recipient's address (it is patient contact data)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{code} {reply.decode(errors='replace')}" for code, reply in exc.recipients.values())
        return f"SMTPRecipientsRefused: {replies}"[:300]
    code = getattr(exc, "smtp_code", None)
    reply = getattr(exc, "smtp_error", b"")
    if code is not None:
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{type(exc).__name__}: {code} {text}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def _finish(row: SubscriberEmail, status: str, error: str = "") -> None:
    SubscriberEmail.objects.filter(pk=row.pk, status=SubscriberEmailStatus.SENDING).update(
        status=status, error=error[:300], sent_at=timezone.now() if status == SubscriberEmailStatus.SENT else None)


def subscriber_emails_to_recover(*, now: dt.datetime, stale_after: dt.timedelta = dt.timedelta(minutes=10),
                                 window: dt.timedelta = dt.timedelta(days=2)) -> tuple[list[int], list[int]]:
    """Work a lost broker message left behind: versions published recently (but not in the last
    few minutes, whose fan-out may still be on its way) with no outbox rows yet, and outbox rows
    still queued long after they were created."""
    versions = list(NoticeVersion.objects.filter(published_at__gte=now - window, published_at__lte=now - stale_after)
                    .filter(~Exists(SubscriberEmail.objects.filter(version=OuterRef("pk"))))
                    .values_list("pk", flat=True))
    emails = list(SubscriberEmail.objects.filter(status=SubscriberEmailStatus.QUEUED,
                                                 created_at__lte=now - stale_after)
                  .order_by("pk").values_list("pk", flat=True)[:10_000])
    return versions, emails
