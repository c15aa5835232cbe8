"""Models of the trusts app, one module per part of the domain."""

from trusts.models.accounts import Membership, Role, User
from trusts.models.actions import IndustrialAction, StaffGroup, StrikeDay, Union, WalkoutWindow
from trusts.models.api_tokens import ApiToken
from trusts.models.audit import AuditEvent
from trusts.models.organisations import ICB, Region, Trust, TrustStatus, TrustType
from trusts.models.queries import QueryAnswer, QueryStatus, ReturnQuery
from trusts.models.reminders import ReminderSent, ReminderStatus, ReminderTrigger
from trusts.models.returns import DailyReturn, ReturnReopening, ReturnRevision, ReturnSource, ReturnStatus

__all__ = [
    "ICB", "ApiToken", "AuditEvent", "DailyReturn", "IndustrialAction", "Membership", "QueryAnswer", "QueryStatus",
    "Region", "ReminderSent", "ReminderStatus", "ReminderTrigger", "ReturnQuery", "ReturnReopening",
    "ReturnRevision",
    "ReturnSource", "ReturnStatus", "Role", "StaffGroup", "StrikeDay", "Trust", "TrustStatus", "TrustType",
    "Union", "User", "WalkoutWindow",
]
