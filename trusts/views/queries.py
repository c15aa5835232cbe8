"""Pages for the loop between NHS England and a trust on one return: queries on a figure (raise,
answer, close) and sign-off by a second person at the trust (docs/returns.md).

Scope first, as every returns page: managers raise and close queries on returns of trusts they
manage; the trust's administrators answer them and sign returns off. Anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from strikeops.errors import show_as_message, show_on_form
from trusts.figures import FIGURE_FIELDS, WORKFORCE_FIELDS
from trusts.forms.queries import QueryAnswerForm, QueryRaiseForm
from trusts.models import QueryStatus, ReturnQuery
from trusts.scoping import AuthenticatedHttpRequest, trusts_visible_to_manager
from trusts.services.queries import QueryRefused, query_answer, query_close, query_raise
from trusts.services.returns import ReturnError
from trusts.services.sign_off import return_sign_off
from trusts.views.returns import _Return


def _managed_return(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str) -> _Return:
    """The return, for a manager of its trust (404 for anyone else, and for a return not submitted)."""
    ret = _Return(request, ods_code, slug, day, edit=False)
    if not trusts_visible_to_manager(request.user).filter(pk=ret.trust.pk).exists() or not ret.submitted:
        raise Http404("Queries are raised by managers of the trust, on submitted returns.")
    return ret


def _query_of(ret: _Return, pk: int) -> ReturnQuery:
    if ret.daily_return is None:
        raise Http404("No such query.")
    return get_object_or_404(ReturnQuery.objects.select_related("raised_by"), pk=pk, daily_return=ret.daily_return)


@login_required
def query_new(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str) -> HttpResponse:
    ret = _managed_return(request, ods_code, slug, day)
    names = [n for n in FIGURE_FIELDS if ret.affected or n not in WORKFORCE_FIELDS]
    figures = [(n, getattr(ret.daily_return, n)) for n in names]
    form = QueryRaiseForm(request.POST or None, figures=figures,
                          initial={"figure": request.GET.get("figure"), "question": request.GET.get("question", "")})
    if request.method == "POST" and form.is_valid():
        assert ret.daily_return is not None, "_managed_return gives submitted returns only"
        try:
            query_raise(daily_return=ret.daily_return, figure=form.cleaned_data["figure"],
                        question=form.cleaned_data["question"], user=request.user, request=request)
        except QueryRefused as error:
            show_on_form(form, error)
        else:
            messages.success(request, f"Query sent to {ret.trust.name}. Its administrators will see it on their "
                                      "home page and on this return.")
            return redirect(ret.url("detail") + "#queries")
    return render(request, "returns/query_new.html", ret.context(form=form))


@login_required
def query_answer_view(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str, pk: int) -> HttpResponse:
    ret = _Return(request, ods_code, slug, day, edit=True)
    query = _query_of(ret, pk)
    if query.status != QueryStatus.OPEN:
        return redirect(ret.url("detail") + "#queries")
    form = QueryAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            query_answer(query=query, user=request.user, answer=form.cleaned_data["answer"],
                         comment=form.cleaned_data["comment"], new_value=form.cleaned_data["new_value"],
                         request=request)
        except QueryRefused as error:
            show_on_form(form, error)
        except ReturnError as refused:
            # Only a revision reaches the return's rules (locked, changed meanwhile, a hard error in the
            # new figure): said as the return form says it, on the figure's field.
            form.add_error("new_value", refused.message)
        else:
            messages.success(request, "Answer sent to NHS England.")
            return redirect(ret.url("detail") + "#queries")
    return render(request, "returns/query_answer.html", ret.context(form=form, query=query))


@login_required
@require_POST
def query_close_view(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str, pk: int) -> HttpResponse:
    ret = _managed_return(request, ods_code, slug, day)
    query = _query_of(ret, pk)
    try:
        query_close(query=query, user=request.user, request=request)
    except QueryRefused as error:
        show_as_message(request, error)
    else:
        messages.success(request, "Query closed.")
    return redirect(ret.url("detail") + "#queries")


@login_required
@require_POST
def sign_off_view(request: AuthenticatedHttpRequest, ods_code: str, slug: str, day: str) -> HttpResponse:
    ret = _Return(request, ods_code, slug, day, edit=True)
    if ret.daily_return is None:
        raise Http404("No return to sign off.")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        return_sign_off(daily_return=ret.daily_return, user=request.user, expected_version=version,
                        request=request)
    except ReturnError as refused:  # SignOffRefused, or a conflict with a revision made meanwhile
        show_as_message(request, refused)
    else:
        messages.success(request, "Return signed off.")
    return redirect(ret.url("detail") + "#sign-off")
