"""Chasing trusts that owe returns: "send a reminder now" (managers, within their scope) and the
reminder log (managers for an action; a trust's own staff and its managers for the trust)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from strikeops.errors import show_as_message
from trusts.models import IndustrialAction, ReminderStatus, StrikeDay, Trust
from trusts.scoping import (
    AuthenticatedHttpRequest,
    get_scoped_trust_or_404,
    is_manager,
    trusts_figures_readable,
    trusts_visible_to_manager,
)
from trusts.selectors.completeness import trust_administrators
from trusts.selectors.reminders import reminder_log
from trusts.services.reminders import ReminderError, reminder_recipients, reminder_send_now
from trusts.tasks import send_overdue_reminders

REMINDERS_PER_PAGE = 50


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404("Only managers can do this.")


def _strike_day_or_404(action: IndustrialAction, value: str) -> StrikeDay:
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise Http404("No such strike day.") from None
    return get_object_or_404(StrikeDay.objects.select_related("action"), action=action, date=date)


@login_required
@require_POST
def missing_remind(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """One trust for one strike day (trust, date), or every overdue trust in the manager's scope (all)."""
    _require_manager(request)
    action = get_object_or_404(IndustrialAction, slug=slug)
    missing_url = reverse("actions:missing", args=[action.slug])
    scope = trusts_visible_to_manager(request.user)
    if request.POST.get("trust"):
        trust = get_scoped_trust_or_404(scope, request.POST["trust"])
        strike_day = _strike_day_or_404(action, request.POST.get("date", ""))
        try:
            row = reminder_send_now(trust=trust, strike_day=strike_day, user=request.user, request=request)
        except ReminderError as error:
            show_as_message(request, error)
        else:
            if row.status == ReminderStatus.SENT:
                messages.success(request, f"Reminder sent to {trust.name}: {', '.join(row.recipients)}")
            elif row.status == ReminderStatus.CLAIMED:
                messages.success(request, f"Reminder on its way to {trust.name}: {', '.join(row.recipients)}. "
                                          "The reminder log shows when it has been sent.")
            elif row.status == ReminderStatus.NO_CONTACT:
                messages.info(request, f"{trust.name} has nobody to email: the reminder was not sent. Add a trust "
                                       "administrator or the trust's contact email, then send it again.")
            else:
                messages.info(request, f"The reminder to {trust.name} failed to send: {row.error}")
        return redirect(f"{missing_url}#day-{strike_day.date.isoformat()}")
    if request.POST.get("all") == "overdue":
        action_id, user_id = action.pk, request.user.pk
        # Hundreds of emails: a worker sends them. If the broker is down, this request does (run_here_if_unqueued).
        send_overdue_reminders.delay_on_commit(action_id, user_id)
        messages.success(request, "Reminders to every overdue trust are being sent. The reminder log shows each one: "
                                  "to whom, or that a trust has nobody to email.")
        return redirect(reverse("actions:reminders", args=[action.slug]))
    messages.info(request, "Choose a trust to remind, or remind every overdue trust")
    return redirect(missing_url)


@login_required
def action_reminders(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _require_manager(request)
    action = get_object_or_404(IndustrialAction, slug=slug)
    rows = reminder_log(trusts=trusts_visible_to_manager(request.user), action=action)
    page = Paginator(rows, REMINDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "actions/reminders.html", {"action": action, "page": page})


@login_required
def trust_reminders(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    """The trust's own reminder log: its staff, and the managers of its region (404 for anyone else)."""
    scope = trusts_figures_readable(request.user).prefetch_related(trust_administrators())
    trust = get_scoped_trust_or_404(scope, ods_code)
    rows = reminder_log(trusts=Trust.objects.filter(pk=trust.pk))
    page = Paginator(rows, REMINDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "trusts/reminders.html", {
        "trust": trust, "page": page, "has_contact": bool(reminder_recipients(trust)),
    })
