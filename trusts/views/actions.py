"""Pages for industrial actions: list, detail, create/edit (national managers), reopening returns
and the missing-returns list (managers).

Who sees what: anyone signed in with a role reads the list and the detail; only national managers
create and edit; managers reopen and chase within their scope. Everyone else gets 404, as for any
object outside a user's organisations (trusts.scoping), so a page's existence is not disclosed.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from strikeops.errors import show_as_message, show_on_form
from trusts.dates import formatted
from trusts.forms.actions import (
    BLANK_WINDOW_ROWS,
    ActionForm,
    ReopenForm,
    window_formset_class,
    window_initial,
)
from trusts.models import IndustrialAction, Membership, ReturnReopening
from trusts.scoping import (
    AuthenticatedHttpRequest,
    is_manager,
    is_national_manager,
    trusts_returns_editable,
    trusts_visible_to_manager,
)
from trusts.selectors.completeness import completeness_by_day, missing_by_day
from trusts.selectors.reminders import chase_days
from trusts.services.actions import ActionInvalid, action_save
from trusts.services.reminders import reminder_recipients
from trusts.services.reopenings import ReopeningRefused, open_reopenings, reopening_close, returns_reopen
from trusts.strike_calendar import end_of_day
from trusts.tabular import csv_safe

WINDOW_PREFIX = "windows"
ACTIONS_PER_PAGE = 25

def _require_role(request: AuthenticatedHttpRequest) -> None:
    if not Membership.objects.filter(user=request.user).exists():
        raise Http404("You have no role in strikeops.")


def _require_national(request: HttpRequest) -> None:
    if not is_national_manager(request.user):
        raise Http404("Only national managers declare industrial actions.")


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404("Only managers can do this.")


@login_required
def action_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_role(request)
    actions = (IndustrialAction.objects.annotate(day_count=Count("strike_days"))
               .order_by("-first_day", "-created_at", "-pk"))
    page = Paginator(actions, ACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "actions/action_list.html", {
        "actions": page, "page": page, "can_create": is_national_manager(request.user),
        "return_trusts": trusts_returns_editable(request.user).order_by("name"),
    })


@login_required
def action_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _require_role(request)
    action = get_object_or_404(IndustrialAction, slug=slug)
    manager = is_manager(request.user)
    context: dict[str, object] = {
        "action": action,
        "windows": action.windows.all(),
        "strike_days": action.strike_days.all(),
        "affected": action.affected_trusts.select_related("icb").order_by("name"),
        "is_manager": manager,
        "can_edit": is_national_manager(request.user),
    }
    if manager:
        scope = trusts_visible_to_manager(request.user)
        context["completeness"] = completeness_by_day(action, scope)
        context["reopenings"] = (open_reopenings().filter(action=action, trust__in=scope)
                                 .select_related("trust", "reopened_by").order_by("trust__name"))
    return render(request, "actions/action_detail.html", context)


def _action_form_page(request: AuthenticatedHttpRequest, action: IndustrialAction | None) -> HttpResponse:
    editing = action is not None
    initial_windows = window_initial(action) if action else []
    if request.method == "POST":
        form = ActionForm(request.POST, editing=editing,
                          initial={"slug": action.slug} if action else None)
        formset_class = window_formset_class(extra=0)
        if "add_window" in request.POST:
            # "Add another window" without JavaScript: the same data back with one more blank row,
            # and no errors yet (the person has not finished).
            data = request.POST.copy()
            total = min(int(data.get(f"{WINDOW_PREFIX}-TOTAL_FORMS", "0") or 0) + 1, formset_class.max_num)
            data[f"{WINDOW_PREFIX}-TOTAL_FORMS"] = str(total)
            form = ActionForm(data, editing=editing, initial={"slug": action.slug} if action else None)
            formset = formset_class(data, prefix=WINDOW_PREFIX)
            return _render_action_form(request, action, form, formset, show_errors=False)
        formset = formset_class(request.POST, prefix=WINDOW_PREFIX)
        if form.is_valid() and formset.is_valid():
            values = form.cleaned_data
            try:
                saved = action_save(
                    action=action, slug=action.slug if action else values["slug"], name=values["name"],
                    staff_group=values["staff_group"], unions=values["unions"], windows=formset.windows(),
                    affected=values["affected"], hard_close=values["hard_close"], user=request.user,
                    requires_sign_off=values["requires_sign_off"],
                )
            except ActionInvalid as invalid:
                show_on_form(form, invalid)
            else:
                messages.success(request, f"{saved.name} {'saved' if editing else 'created'}: "
                                          f"{saved.strike_days.count()} strike days.")
                return redirect("actions:detail", slug=saved.slug)
        return _render_action_form(request, action, form, formset, show_errors=True)
    initial = {}
    if action:
        initial = {"name": action.name, "slug": action.slug, "staff_group": action.staff_group,
                   "unions": action.unions, "hard_close": action.hard_close,
                   "requires_sign_off": action.requires_sign_off,
                   "affected": " ".join(action.affected_trusts.order_by("ods_code")
                                        .values_list("ods_code", flat=True))}
    form = ActionForm(initial=initial, editing=editing)
    formset_class = window_formset_class(extra=BLANK_WINDOW_ROWS if initial_windows else BLANK_WINDOW_ROWS + 1)
    formset = formset_class(initial=initial_windows, prefix=WINDOW_PREFIX)
    return _render_action_form(request, action, form, formset, show_errors=True)


def _render_action_form(request: HttpRequest, action: IndustrialAction | None, form: ActionForm,
                        formset: object, *, show_errors: bool) -> HttpResponse:
    if not show_errors:
        form.helper.form_show_errors = False
        for window_form in formset.forms:  # type: ignore[attr-defined]
            window_form.helper.form_show_errors = False
    return render(request, "actions/action_form.html", {
        "action": action, "action_form": form, "formset": formset, "show_errors": show_errors,
    })


@login_required
def action_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_national(request)
    return _action_form_page(request, None)


@login_required
def action_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _require_national(request)
    action = get_object_or_404(IndustrialAction, slug=slug)
    return _action_form_page(request, action)


@login_required
def action_reopen(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _require_manager(request)
    action = get_object_or_404(IndustrialAction, slug=slug)
    scope = trusts_visible_to_manager(request.user)
    form = ReopenForm(request.POST or None, trusts=scope)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            reopening = returns_reopen(
                action=action, trust=values["trust"], user=request.user, reason=values["reason"],
                closes_at=end_of_day(values["closes_on"]) if values["closes_on"] else None,
            )
        except ReopeningRefused as refused:
            show_on_form(form, refused, fields={"closes_at": "closes_on"})
        else:
            messages.success(request, f"{reopening.trust.name}'s returns for {action.name} are reopened until "
                                      f"{formatted(reopening.closes_at, 'time_on_date')}.")
            return redirect("actions:detail", slug=action.slug)
    return render(request, "actions/reopen.html", {"action": action, "form": form})


@login_required
@require_POST
def reopening_close_view(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _require_manager(request)
    reopening = get_object_or_404(ReturnReopening.objects.select_related("trust", "action"), pk=pk,
                                  action__slug=slug, trust__in=trusts_visible_to_manager(request.user))
    try:
        reopening_close(reopening=reopening, user=request.user)
    except ReopeningRefused as refused:
        show_as_message(request, refused)
    else:
        messages.success(request, f"{reopening.trust.name}'s returns for {reopening.action.name} are locked again.")
    return redirect("actions:detail", slug=slug)


@login_required
def missing_returns(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _require_manager(request)
    action = get_object_or_404(IndustrialAction, slug=slug)
    days = chase_days(action, trusts_visible_to_manager(request.user), timezone.now())
    overdue = [row.trust for day in days if day.overdue for row in day.rows]
    return render(request, "actions/missing.html", {
        "action": action, "days": days, "overdue_count": len(overdue),
        "overdue_no_contact": sum(1 for t in overdue if not reminder_recipients(t)),
    })


@login_required
def missing_returns_csv(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _require_manager(request)
    action = get_object_or_404(IndustrialAction, slug=slug)
    days = missing_by_day(action, trusts_visible_to_manager(request.user))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="missing-returns-{action.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(["strike_day", "deadline", "ods_code", "trust", "region", "contact_email",
                     "administrator_emails"])
    for day in days:
        for trust in day.trusts:
            writer.writerow([csv_safe(v) for v in (
                day.strike_day.date.isoformat(), day.strike_day.deadline.isoformat(), trust.ods_code, trust.name,
                trust.icb.region.name, trust.contact_email,
                "; ".join(m.user.email for m in trust.administrator_memberships),  # type: ignore[attr-defined]
            )])
    return response
