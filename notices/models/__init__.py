"""Models of the notices app, one module per area; each area re-exports its models here."""
from notices.models.templates import Channel, MessageTemplate  # noqa: F401
