"""Models of the reports app: what reports keep of their own (the returns they read are trusts')."""

from reports.models.releases import Release
from reports.models.rollups import ReturnRollup

__all__ = ["Release", "ReturnRollup"]
