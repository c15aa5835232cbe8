"""Models of the notices app, one module per area; each area re-exports its models here."""
from notices.models.campaigns import (  # noqa: F401
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    MessagingOptOut,
    OptOutKind,
    Recipient,
)
from notices.models.notices import (  # noqa: F401
    APOLOGY_BODY,
    APOLOGY_TITLE,
    DEFAULT_WHAT_TO_DO,
    Notice,
    NoticeChange,
    NoticeRevision,
    NoticeStatus,
    NoticeVersion,
)
from notices.models.subscriptions import (  # noqa: F401
    SubscriberEmail,
    SubscriberEmailKind,
    SubscriberEmailStatus,
    Subscription,
    SubscriptionStatus,
)
from notices.models.templates import Channel, MessageTemplate  # noqa: F401
from outbox.models import OutboxStatus  # noqa: F401  (the statuses of every outbox table)
