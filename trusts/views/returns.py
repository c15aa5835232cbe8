"""Pages for daily returns: the trust administrator's dashboard, the return form -> check your
answers -> confirmation journey, a return's page with its history, bulk upload and templates.

Who sees what (scope first, then act; see docs/returns.md):
- trust administrators: their own trusts' returns, to enter and change; another trust's is 404;
- managers: returns of trusts in their scope (region, or England), read-only; others 404;
- everyone else signed in (communications staff, people with no role): 404 on every returns page,
  so the pages' existence is not disclosed, as for any object outside a user's organisations;
- anonymous visitors are sent to sign in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from strikeops.errors import show_on_form
from trusts import clock
from trusts.dates import formatted
from trusts.figures import FIGURE_FIELDS, FIGURE_LABELS
from trusts.forms.returns import ReturnForm, ReturnsUploadForm
from trusts.models import (
    DailyReturn,
    IndustrialAction,
    QueryStatus,
    ReturnSource,
    ReturnStatus,
    StrikeDay,
    Trust,
)
from trusts.scoping import (
    AuthenticatedHttpRequest,
    get_scoped_trust_or_404,
    trusts_returns_editable,
    trusts_returns_readable,
    trusts_visible_to_manager,
)
from trusts.selectors.audit import return_loop_events
from trusts.selectors.returns import (
    TAG_CLASSES,
    current_action,
    dashboard_actions,
    day_status,
    reopenings_in_force,
    returns_dashboard,
)
from trusts.services.returns import (
    ReasonRequired,
    ReturnAlreadySubmitted,
    ReturnConflict,
    ReturnInvalid,
    ReturnLocked,
    WarningsNeedComment,
    action_affects,
    lock_reason_for,
    nil_figures,
    return_check,
    return_save_draft,
    return_submit,
)
from trusts.services.returns_import import (
    IMPORT_COLUMNS,
    OPTIONAL_COLUMNS,
    returns_import,
    returns_template_rows,
    template_csv,
    template_xlsx,
)
from trusts.services.sign_off import sign_off_refusal
from trusts.tabular import TableError, iter_table

# Actions a page on the returns dashboard (each action is a table of its strike days, per trust).
ACTIONS_PER_PAGE = 10
TRACKED_LABELS = {**FIGURE_LABELS, "is_nil": "Nil return", "warning_comment": "Comment on unusual figures"}


def _shown(value: Any) -> str:
    """A revision's old or new value as the history table says it."""
    if value is None or value == "":
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _change_rows(changes: dict[str, list[Any]]) -> list[tuple[str, str, str]]:
    return [(TRACKED_LABELS.get(name, name), _shown(old), _shown(new)) for name, (old, new) in changes.items()]


# --- Scoping ---------------------------------------------------------------------------------------

def _admin_trusts(request: AuthenticatedHttpRequest) -> QuerySet[Trust]:
    return trusts_returns_editable(request.user).select_related("icb__region").order_by("name")


class _Return:
    """The (trust, action, strike day) a page is about, scoped to the user, and its stored return."""

    def __init__(self, request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str, *, edit: bool) -> None:
        scope = _admin_trusts(request) if edit else trusts_returns_readable(request.user)
        self.trust = get_scoped_trust_or_404(scope, ods_code)
        self.can_edit = trusts_returns_editable(request.user).filter(pk=self.trust.pk).exists()
        self.action = get_object_or_404(IndustrialAction, slug=slug)
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise Http404("Not a date.") from None
        self.strike_day = get_object_or_404(StrikeDay, action=self.action, date=date)
        self.day = date
        self.daily_return = (DailyReturn.objects.select_related("submitted_by")
                             .filter(action=self.action, trust=self.trust, date=date).first())
        self.now = clock.now()
        self.affected = action_affects(self.action, self.trust)

    @property
    def version(self) -> int:
        return self.daily_return.version if self.daily_return else 0

    @property
    def submitted(self) -> bool:
        return self.daily_return is not None and self.daily_return.status == ReturnStatus.SUBMITTED

    def lock_reason(self) -> str | None:
        return lock_reason_for(action=self.action, trust=self.trust, strike_day=self.strike_day, now=self.now)

    def url(self, name: str) -> str:
        return reverse(f"returns:{name}", args=[self.trust.ods_code, self.action.slug, self.day.isoformat()])

    @property
    def session_key(self) -> str:
        return f"returns:pending:{self.trust.ods_code}:{self.action.slug}:{self.day.isoformat()}"

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"trust": self.trust, "action": self.action, "strike_day": self.strike_day, "day": self.day,
                "daily_return": self.daily_return, "affected": self.affected, "can_edit": self.can_edit,
                "detail_url": self.url("detail"), "edit_url": self.url("edit"), "check_url": self.url("check"),
                **extra}


def _form(ret: _Return, data: dict[str, Any] | None = None, **kwargs: Any) -> ReturnForm:
    return ReturnForm(data, affected=ret.affected, revising=ret.submitted, deadline=ret.strike_day.deadline,
                      now=ret.now, **kwargs)


def _initial(ret: _Return) -> dict[str, Any]:
    saved = ret.daily_return
    initial: dict[str, Any] = {"version": ret.version}
    if saved is not None:
        initial.update({n: getattr(saved, n) for n in FIGURE_FIELDS if getattr(saved, n) is not None})
        initial["warning_comment"] = saved.warning_comment
        initial["nil"] = saved.is_nil
    return initial


# --- Dashboard --------------------------------------------------------------------------------------

@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    trusts = list(_admin_trusts(request))
    if not trusts:
        raise Http404("Returns are entered by trust administrators.")
    now = clock.now()
    # The current action first, on every page; then the others newest first, a page at a time:
    # every action since 2022 stays reachable without the page growing with the history.
    current = current_action(now)
    others = dashboard_actions().exclude(pk=current.pk) if current else dashboard_actions()
    page = Paginator(others, ACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    groups = returns_dashboard(trusts=trusts, now=now, actions=[*([current] if current else []), *page.object_list])
    return render(request, "returns/dashboard.html", {"groups": groups, "page": page, "current_action": current,
                                                      "reopenings": reopenings_in_force(trusts, now)})


# --- One return -------------------------------------------------------------------------------------

@login_required
def return_detail(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str) -> HttpResponse:
    ret = _Return(request, ods_code, slug, day, edit=False)
    saved = ret.daily_return
    lock = ret.lock_reason()
    begun = ret.now >= ret.strike_day.starts_at
    status = day_status(status=saved.status if saved else None, is_late=bool(saved and saved.is_late),
                        begun=begun, locked=lock is not None and begun, overdue=ret.now > ret.strike_day.deadline)
    revisions = saved.revisions.select_related("changed_by").order_by("-version") if saved else []
    history = [
        {"revision": r, "changes": _change_rows(r.changes)}
        for r in revisions
    ]
    queries = list(saved.queries.select_related("raised_by", "answered_by", "closed_by")) if saved else []
    under_query = {q.figure for q in queries if q.status != QueryStatus.CLOSED}
    rows = [(FIGURE_LABELS[n], getattr(saved, n) if saved else None, n in under_query) for n in FIGURE_FIELDS
            if ret.affected or n not in ("staff_absent", "staff_due")]
    can_manage = ret.submitted and trusts_visible_to_manager(request.user).filter(pk=ret.trust.pk).exists()
    sign_off_refusal_text = (sign_off_refusal(daily_return=saved, user=request.user)
                             if saved is not None and ret.can_edit else None)
    return render(request, "returns/detail.html", ret.context(
        status=status, tag_class=TAG_CLASSES[status], deadline_text=formatted(ret.strike_day.deadline, "moment"),
        lock_reason=lock if ret.can_edit else None, rows=rows, history=history,
        editable=ret.can_edit and lock is None, queries=queries, can_manage=can_manage,
        loop_history=return_loop_events(saved) if saved else [],
        reopenings=reopenings_in_force([ret.trust], ret.now) if ret.can_edit else [],
        can_sign_off=ret.can_edit and saved is not None and sign_off_refusal_text is None,
        sign_off_refusal=sign_off_refusal_text))


def _conflict_context(ret: _Return, conflict: ReturnConflict) -> dict[str, Any]:
    return {"conflict": conflict.message,
            "conflict_changes": _change_rows(conflict.changes)}


@login_required
def return_edit(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str) -> HttpResponse:
    ret = _Return(request, ods_code, slug, day, edit=True)
    if ret.lock_reason():
        # The return's page says exactly why it cannot be edited.
        return redirect(ret.url("detail"))
    extra: dict[str, Any] = {}
    if request.method != "POST":
        pending = request.session.get(ret.session_key)
        form = _form(ret, initial=pending["form"] if pending else _initial(ret),
                     show_comment=bool(pending and pending.get("warnings")))
        return _render_edit(request, ret, form, extra, warnings=pending.get("warnings", {}) if pending else {})
    form = _form(ret, request.POST)
    warnings: dict[str, str] = {}
    if form.is_valid():
        figures: dict[str, Any] = form.figures()
        if "draft" in request.POST:
            try:
                return_save_draft(action=ret.action, trust=ret.trust, day=ret.day, figures=figures,
                                  user=request.user, expected_version=form.cleaned_data["version"], now=ret.now)
            except ReturnInvalid as invalid:
                form.apply_check(invalid.check, need_comment=False)
            except ReturnAlreadySubmitted as refused:
                show_on_form(form, refused)
            except ReturnConflict as conflict:
                return _render_conflict(request, ret, conflict)
            else:
                request.session.pop(ret.session_key, None)
                messages.success(request, f"Draft saved for {formatted(ret.day, 'date')}. It has not been "
                                          "submitted yet.")
                return redirect("returns:dashboard")
        else:
            if form.cleaned_data.get("nil"):
                figures = nil_figures(figures, affected=ret.affected)
            check = return_check(action=ret.action, trust=ret.trust, day=ret.day, figures=figures, now=ret.now)
            warnings = check.warnings
            form.apply_check(check, need_comment=True)
            if form.is_valid():
                request.session[ret.session_key] = {"form": dict(form.cleaned_data),
                                                    "warnings": warnings}
                return redirect(ret.url("check"))
    return _render_edit(request, ret, form, extra, warnings=warnings)


def _render_edit(request: HttpRequest, ret: _Return, form: ReturnForm, extra: dict[str, Any], *,
                 warnings: dict[str, str]) -> HttpResponse:
    return render(request, "returns/edit.html", ret.context(
        form=form, warnings=[(FIGURE_LABELS.get(k, k), v) for k, v in warnings.items()],
        revising=ret.submitted, **extra))


def _render_conflict(request: HttpRequest, ret: _Return, conflict: ReturnConflict) -> HttpResponse:
    request.session.pop(ret.session_key, None)
    ret.daily_return = conflict.current
    form = _form(ret, initial=_initial(ret))
    return _render_edit(request, ret, form, _conflict_context(ret, conflict), warnings={})


@login_required
def return_check_answers(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str) -> HttpResponse:
    ret = _Return(request, ods_code, slug, day, edit=True)
    pending = request.session.get(ret.session_key)
    if not pending:
        return redirect(ret.url("edit"))
    answers: dict[str, Any] = pending["form"]
    if request.method == "POST":
        try:
            saved = return_submit(
                action=ret.action, trust=ret.trust, day=ret.day, user=request.user, source=ReturnSource.WEB,
                figures={n: answers.get(n, "") for n in FIGURE_FIELDS}, nil=bool(answers.get("nil")),
                reason=answers.get("reason", "") or "", warning_comment=answers.get("warning_comment", "") or "",
                expected_version=answers["version"], now=ret.now, request=request)
        except ReturnLocked:
            # Locked since the form was filled in (the hard close passed): the return's page says why.
            request.session.pop(ret.session_key, None)
            return redirect(ret.url("detail"))
        except ReturnConflict as conflict:
            return _render_conflict(request, ret, conflict)
        except (ReturnInvalid, WarningsNeedComment, ReasonRequired):
            # The rules changed under the answers (a new earlier return, the deadline passed): back to the form.
            return redirect(ret.url("edit"))
        request.session.pop(ret.session_key, None)
        request.session["returns:submitted"] = saved.pk
        return redirect(ret.url("submitted"))
    nil = bool(answers.get("nil"))
    names = [n for n in FIGURE_FIELDS if ret.affected or n not in ("staff_absent", "staff_due")]
    rows = []
    for name in names:
        value = answers.get(name) or ""
        if nil and (name.endswith("_rescheduled") or (name == "staff_absent" and ret.affected)):
            value = "0"
        rows.append({"label": FIGURE_LABELS[name], "value": value or "Not given", "field": name})
    return render(request, "returns/check.html", ret.context(
        rows=rows, nil=nil, answers=answers, revising=ret.submitted,
        warnings=[(FIGURE_LABELS.get(k, k), v) for k, v in pending.get("warnings", {}).items()]))


@login_required
def return_submitted(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str) -> HttpResponse:
    ret = _Return(request, ods_code, slug, day, edit=True)
    if ret.daily_return is None or request.session.get("returns:submitted") != ret.daily_return.pk:
        return redirect(ret.url("detail"))
    return render(request, "returns/submitted.html", ret.context())


# --- Bulk upload and templates -----------------------------------------------------------------------

@login_required
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    trusts = _admin_trusts(request)
    if not trusts.exists():
        raise Http404("Returns are entered by trust administrators.")
    posted = request.method == "POST"
    form = ReturnsUploadForm(request.POST if posted else None, request.FILES if posted else None)
    file_errors: list[Any] = []
    if posted and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            rows = iter_table(upload_file, upload_file.name, required=IMPORT_COLUMNS, optional=OPTIONAL_COLUMNS)
            # Unusual figures need a comment, which a file cannot carry: on the web they are errors (unless
            # the stored return already justifies them), and the day's form is the way to submit them.
            result = returns_import(rows=rows, source=ReturnSource.UPLOAD, user=request.user, trusts=trusts,
                                    strict=True, authority="trust", reason=form.cleaned_data["reason"],
                                    now=clock.now())
        except TableError as error:
            file_errors = error.errors
        else:
            skipped_rows = "1 row" if result.skipped == 1 else f"{result.skipped} rows"
            skipped = (f" {skipped_rows} with no figures (strike days not filled in) "
                       f"{'was' if result.skipped == 1 else 'were'} left as they are." if result.skipped else "")
            messages.success(request, f"File uploaded: {result.created} returns submitted, {result.revised} changed "
                                      f"and {result.unchanged} unchanged.{skipped}")
            return redirect("returns:dashboard")
    # Newest first, a page at a time: the list of templates grows by one action each strike.
    actions = Paginator(IndustrialAction.objects.filter(first_day__isnull=False).order_by("-first_day", "-pk"),
                        ACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "returns/upload.html", {
        "form": form, "file_errors": file_errors, "actions": actions, "page": actions, "trusts": trusts,
        "columns": IMPORT_COLUMNS + OPTIONAL_COLUMNS})


@login_required
def template_download(request: AuthenticatedHttpRequest, slug: str, fmt: str) -> HttpResponse:
    trusts = _admin_trusts(request)
    if not trusts.exists() or fmt not in ("csv", "xlsx"):
        raise Http404("No such template.")
    action = get_object_or_404(IndustrialAction, slug=slug)
    rows = returns_template_rows(action=action, trusts=trusts)
    if fmt == "csv":
        response = HttpResponse(template_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(template_xlsx(rows), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="returns-{action.slug}.{fmt}"'
    return response
