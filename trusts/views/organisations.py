from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static

from trusts.models import Region, Trust
from trusts.scoping import get_scoped_trust_or_404
from trusts.selectors import trusts_by_region


def trust_list(request: HttpRequest) -> HttpResponse:
    groups = trusts_by_region()
    return render(request, "trusts/trust_list.html", {
        "groups": groups,
        "trust_count": sum(g.trust_count for g in groups),
        "icb_count": sum(len(g.icbs) for g in groups),
    })


def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = get_object_or_404(Region, code=code.upper())
    groups = trusts_by_region(Trust.objects.filter(icb__region=region))
    return render(request, "trusts/region_detail.html", {"region": region, "groups": groups})


def trust_detail(request: HttpRequest, ods_code: str) -> HttpResponse:
    trust = get_scoped_trust_or_404(Trust.objects.all(), ods_code)
    return render(request, "trusts/trust_detail.html", {"trust": trust})


def nhsuk_asset(request: HttpRequest, path: str) -> HttpResponse:
    """nhsuk-frontend's compiled CSS refers to its icons at /assets/...; they are served with the
    rest of the package under STATIC_URL (hashed in production), so send the browser there."""
    return redirect(static(f"nhsuk/assets/{path}"))
