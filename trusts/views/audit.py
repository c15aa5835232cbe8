"""The audit log page, for national managers only (404 for everyone else, as for any page
outside a user's organisations)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from trusts.forms.audit import AuditFilterForm
from trusts.scoping import is_national_manager
from trusts.selectors.audit import audit_event_types, audit_events, audit_events_page

EVENTS_PER_PAGE = 50
FILTER_FIELDS = ("event", "trust", "actor", "date_from-day", "date_from-month", "date_from-year",
                 "date_to-day", "date_to-month", "date_to-year")


def audit_log(request: HttpRequest) -> HttpResponse:
    if not is_national_manager(request.user):
        raise Http404("No such page.")
    filtering = any(request.GET.get(name) for name in FILTER_FIELDS)
    form = AuditFilterForm(request.GET if filtering else None, event_types=audit_event_types())
    page = None
    if not filtering or form.is_valid():
        filters = form.cleaned_data if filtering else {}
        events = audit_events(
            event=filters.get("event", ""),
            trust_code=filters.get("trust", ""),
            actor_email=filters.get("actor", ""),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        page = audit_events_page(events, before=request.GET.get("before", ""), after=request.GET.get("after", ""),
                                 size=EVENTS_PER_PAGE)
    return render(request, "audit/log.html", {"form": form, "page": page, "filtering": filtering})
