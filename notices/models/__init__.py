"""Models of the notices app, one module per area; each area re-exports its models here."""
from notices.models.campaigns import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    MessagingOptOut,
    OptOutKind,
    Recipient,
)
from notices.models.notices import (
    APOLOGY_BODY,
    APOLOGY_TITLE,
    DEFAULT_WHAT_TO_DO,
    Notice,
    NoticeChange,
    NoticeRevision,
    NoticeStatus,
    NoticeVersion,
)
from notices.models.subscriptions import (
    SubscriberEmail,
    SubscriberEmailKind,
    SubscriberEmailStatus,
    Subscription,
    SubscriptionStatus,
)
from notices.models.templates import Channel, MessageTemplate
from outbox.models import OutboxStatus  # the statuses of every outbox table

__all__ = [
    "APOLOGY_BODY",
    "APOLOGY_TITLE",
    "DEFAULT_WHAT_TO_DO",
    "Campaign",
    "CampaignStatus",
    "Channel",
    "Delivery",
    "DeliveryStatus",
    "MessageTemplate",
    "MessagingOptOut",
    "Notice",
    "NoticeChange",
    "NoticeRevision",
    "NoticeStatus",
    "NoticeVersion",
    "OptOutKind",
    "OutboxStatus",
    "Recipient",
    "SubscriberEmail",
    "SubscriberEmailKind",
    "SubscriberEmailStatus",
    "Subscription",
    "SubscriptionStatus",
]
