"""The home page: what each visitor has to do now.

The one page composed from both apps (trust work from trusts, notices and campaigns from
notices), so it lives with the wiring: trusts never imports notices. Anonymous visitors and people
with no role get the public introduction. Someone with several roles sees each part."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from notices.selectors.notices import comms_home
from trusts import clock
from trusts.models import Trust
from trusts.scoping import is_manager, trusts_notices_manageable, trusts_returns_editable, trusts_visible_to_manager
from trusts.selectors.home import manager_home, trust_admin_home


def home(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"trust_count": Trust.objects.count()}
    user = request.user
    if user.is_authenticated:
        now = clock.now()
        admin_trusts = trusts_returns_editable(user)
        if admin_trusts.exists():
            context["admin"] = trust_admin_home(trusts=admin_trusts, user=user, now=now)
        comms_trusts = trusts_notices_manageable(user)
        if comms_trusts.exists():
            context["comms"] = comms_home(comms_trusts)
        if is_manager(user):
            context["manager"] = manager_home(trusts=trusts_visible_to_manager(user), now=now)
    return render(request, "home.html", context)
