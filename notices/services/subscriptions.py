"""Email subscriptions to a trust's notices, as a member of the public drives them: double opt-in
(subscribe, then confirm by the emailed link) and one-click unsubscribe (RFC 8058). The emails
themselves are outbox rows (notices/services/subscriber_emails.py), queued after commit.

Subscriber addresses are patient contact details: they never go into the audit log or a log line.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from notices.models import SubscriberEmail, SubscriberEmailKind, Subscription, SubscriptionStatus
from notices.models.subscriptions import new_token
from notices.services.subscriber_emails import CONFIRM_MAX_AGE, CONFIRM_SALT
from notices.tasks import send_subscriber_email
from strikeops.errors import ServiceError
from trusts.models import Trust
from trusts.services.audit import audit_record

# Someone typing another person's address again and again must not turn us into a mail cannon.
RESEND_CONFIRMATION_AFTER = dt.timedelta(minutes=10)


class SubscriptionError(ServiceError):
    """A subscription link that cannot be used (bad, expired or already used); the message says why."""


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
        # The confirmation email is an outbox row like every other email to the public.
        row = SubscriberEmail.objects.create(subscription=subscription, kind=SubscriberEmailKind.CONFIRMATION,
                                             enqueued_at=now)
        # One small email: if the broker is down, it is sent in this request (run_here_if_unqueued).
        send_subscriber_email.delay_on_commit(row.pk)
    return subscription


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
