"""Reads for organisation pages: trusts grouped under their region and ICB."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from trusts.models import ICB, Region, Trust


@dataclass
class ICBGroup:
    icb: ICB
    trusts: list[Trust] = field(default_factory=list)


@dataclass
class RegionGroup:
    region: Region
    icbs: list[ICBGroup] = field(default_factory=list)

    @property
    def trust_count(self) -> int:
        return sum(len(g.trusts) for g in self.icbs)


def trusts_by_region(queryset: QuerySet[Trust] | None = None) -> list[RegionGroup]:
    """Trusts grouped under region then ICB, from one query."""
    trusts = (queryset if queryset is not None else Trust.objects.all()).select_related("icb__region").order_by(
        "icb__region__name", "icb__name", "name")
    groups: list[RegionGroup] = []
    for trust in trusts:
        region, icb = trust.icb.region, trust.icb
        if not groups or groups[-1].region.pk != region.pk:
            groups.append(RegionGroup(region))
        icb_groups = groups[-1].icbs
        if not icb_groups or icb_groups[-1].icb.pk != icb.pk:
            icb_groups.append(ICBGroup(icb))
        icb_groups[-1].trusts.append(trust)
    return groups
