from __future__ import annotations

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static

from trusts.models import Region, Trust
from trusts.scoping import get_scoped_trust_or_404, trusts_figures_readable
from trusts.selectors.organisations import trusts_by_region


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
    return render(request, "trusts/trust_detail.html", {
        "trust": trust,
        # The public page links to the trust's internal pages only for those who may read them.
        "can_read_own_pages": trusts_figures_readable(request.user).filter(pk=trust.pk).exists(),
    })


def nhsuk_asset(request: HttpRequest, path: str) -> HttpResponse:
    """nhsuk-frontend's compiled CSS refers to its icons at /assets/...; they are served with the
    rest of the package under STATIC_URL (hashed in production), so send the browser there."""
    name = f"nhsuk/assets/{path}"
    try:
        url = static(name)  # a hashed storage refuses names missing from its manifest
    except ValueError:
        raise Http404 from None
    # An unhashed storage (development, tests) would happily make a URL for any name.
    if not hasattr(staticfiles_storage, "manifest_name") and not finders.find(name):
        raise Http404
    return redirect(url)
