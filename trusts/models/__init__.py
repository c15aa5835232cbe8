"""Models of the trusts app, one module per part of the domain."""

from trusts.models.accounts import Membership, Role, User
from trusts.models.organisations import ICB, Region, Trust, TrustStatus, TrustType

__all__ = ["ICB", "Membership", "Region", "Role", "Trust", "TrustStatus", "TrustType", "User"]
