"""Public notices pages (no sign-in) and the pages where a trust's communications staff write them.

Who manages notices: only the trust's communications staff (role trust_comms). Trust administrators
enter returns; a public statement in the trust's name goes through its communications team, and a
person who does both holds both roles (docs/notices.md). Everyone else gets 404 for these pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notices.forms.notices import NoticeFilterForm, NoticeForm, SubscribeForm, WithdrawForm, actions_for_trust
from notices.models import APOLOGY_BODY, APOLOGY_TITLE, DEFAULT_WHAT_TO_DO, Notice, NoticeStatus
from notices.selectors.notices import public_notice_or_404, public_notices
from notices.services.notices import (
    NoticeError,
    notice_create,
    notice_publish,
    notice_render,
    notice_update,
    notice_withdraw,
)
from notices.services.subscriptions import (
    SubscriptionError,
    subscription_confirm,
    subscription_for_confirmation,
    subscription_for_unsubscribe,
    subscription_request,
    subscription_unsubscribe,
)
from strikeops.errors import show_as_message, show_on_form
from strikeops.public_cache import public_page
from trusts.models import Trust
from trusts.scoping import AuthenticatedHttpRequest, get_scoped_trust_or_404, trusts_notices_manageable

PAGE_SIZE = 20


# --- Public pages -----------------------------------------------------------------------------

@public_page
def notice_list(request: HttpRequest) -> HttpResponse:
    form = NoticeFilterForm(request.GET or None)
    notices = public_notices()
    if form.is_bound and form.is_valid():
        if form.cleaned_data["region"]:
            notices = notices.filter(trust__icb__region=form.cleaned_data["region"])
        if form.cleaned_data["trust"]:
            notices = notices.filter(trust__ods_code=form.cleaned_data["trust"])
    elif form.is_bound:
        notices = notices.none()
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notices/notice_list.html", {
        "filter_form": form, "page": page, "query": query.urlencode(),
        "can_manage": request.user.is_authenticated and trusts_notices_manageable(request.user).exists(),
    })


def _subscribe_form(trust: Trust, data: object = None) -> SubscribeForm:
    return SubscribeForm(data, action_url=reverse("notices:subscribe", args=[trust.ods_code]))


def _trust_notices_page(request: HttpRequest, trust: Trust, form: SubscribeForm) -> HttpResponse:
    page = Paginator(public_notices().filter(trust=trust), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/trust_notices.html", {"trust": trust, "page": page, "form": form, "query": ""})


@public_page
def trust_notices(request: HttpRequest, ods_code: str) -> HttpResponse:
    trust = get_scoped_trust_or_404(Trust.objects.all(), ods_code)
    return _trust_notices_page(request, trust, _subscribe_form(trust))


@public_page
def notice_detail(request: HttpRequest, ods_code: str, slug: str) -> HttpResponse:
    notice = public_notice_or_404(ods_code, slug)
    return render(request, "notices/notice_detail.html", {"notice": notice, "version": notice.current_version,
                                                           "trust": notice.trust})


def _cross_site(request: HttpRequest) -> bool:
    """Whether a browser says this POST came from another site's page (Fetch metadata, else Origin)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and origin != "null" and origin != f"{request.scheme}://{request.get_host()}"


# The subscribe form sits on the trust's public page, which must set no cookie so that shared caches
# can keep it; a CSRF token would need one. Nothing here rides on a visitor's session: the POST
# only asks for a confirmation email to the address typed (double opt-in, at most one email per
# address per 10 minutes), which anyone can ask for directly. Cross-site posts are still refused by
# the browser's own Sec-Fetch-Site/Origin headers, so another site cannot make visitors' browsers
# submit addresses.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, ods_code: str) -> HttpResponse:
    trust = get_scoped_trust_or_404(Trust.objects.all(), ods_code)
    if request.method == "GET":
        return redirect("notices:trust", trust.ods_code)
    if _cross_site(request):
        return render(request, "403.html", status=403)
    form = _subscribe_form(trust, request.POST)
    if not form.is_valid():
        return _trust_notices_page(request, trust, form)
    subscription_request(trust=trust, email=form.cleaned_data["email"], request=request)
    return redirect("notices:subscribe_sent", trust.ods_code)


def subscribe_sent(request: HttpRequest, ods_code: str) -> HttpResponse:
    trust = get_scoped_trust_or_404(Trust.objects.all(), ods_code)
    return render(request, "notices/subscribe_sent.html", {"trust": trust})


@require_http_methods(["GET", "POST"])
def confirm_subscription(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms, so that link scanners in mail systems, which
    fetch every link, cannot confirm a subscription nobody asked for."""
    try:
        subscription = subscription_for_confirmation(token=token)
    except SubscriptionError as exc:
        return render(request, "notices/subscription_link_error.html", {"error": str(exc)}, status=400)
    if request.method == "POST":
        subscription = subscription_confirm(token=token, request=request)
        return render(request, "notices/subscription_confirmed.html", {"trust": subscription.trust})
    return render(request, "notices/subscription_confirm.html", {"subscription": subscription,
                                                                  "trust": subscription.trust})


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookie or CSRF token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners must not unsubscribe people); POST unsubscribes, from our button or a
    mail client's one-click button. The secret token in the address is the authority."""
    subscription = subscription_for_unsubscribe(token=token)
    if subscription is None:
        raise Http404("No such subscription.")
    if request.method == "POST":
        subscription_unsubscribe(token=token, request=request)
        return render(request, "notices/unsubscribed.html", {"trust": subscription.trust})
    return render(request, "notices/unsubscribe.html", {"subscription": subscription, "trust": subscription.trust})


# --- Pages for the trust's communications staff -----------------------------------------------

def _managed_trust(request: HttpRequest, ods_code: str) -> Trust:
    return get_scoped_trust_or_404(trusts_notices_manageable(request.user), ods_code)


def _managed_notice(request: HttpRequest, ods_code: str, pk: int) -> Notice:
    trust = _managed_trust(request, ods_code)
    return get_object_or_404(Notice.objects.select_related("trust__icb__region", "action", "current_version"),
                             trust=trust, pk=pk)


@login_required
def manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    trusts = list(trusts_notices_manageable(request.user).order_by("name"))
    if not trusts:
        raise Http404("You do not manage notices for any trust.")
    if len(trusts) == 1:
        return redirect("notices:manage_trust", trusts[0].ods_code)
    return render(request, "notices/manage.html", {"trusts": trusts})


@login_required
def manage_trust(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = _managed_trust(request, ods_code)
    notices = Notice.objects.filter(trust=trust).select_related("current_version", "action").order_by(
        "status", "-published_at", "-created_at")
    return render(request, "notices/manage_trust.html", {"trust": trust, "notices": notices})


def _preview(trust: Trust, form: NoticeForm) -> object:
    data = form.cleaned_data
    return notice_render(trust=trust, action=data.get("action"), title=data["title"], body=data["body"],
                         what_to_do=data["what_to_do"])


@login_required
@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = _managed_trust(request, ods_code)
    preview = None
    if request.method == "POST":
        form = NoticeForm(request.POST, trust=trust)
        if form.is_valid():
            if "preview" in request.POST:
                preview = _preview(trust, form)
            else:
                notice = notice_create(trust=trust, user=request.user, action=form.cleaned_data["action"],
                                       title=form.cleaned_data["title"], body=form.cleaned_data["body"],
                                       what_to_do=form.cleaned_data["what_to_do"], request=request)
                messages.success(request, "Draft saved. Check the preview, then publish it.")
                return redirect("notices:manage_notice", trust.ods_code, notice.pk)
    else:
        # A new notice starts as the apology, about the most recent action that affected the trust.
        form = NoticeForm(trust=trust, initial={
            "action": actions_for_trust(trust).first(), "title": APOLOGY_TITLE, "body": APOLOGY_BODY,
            "what_to_do": DEFAULT_WHAT_TO_DO,
        })
    return render(request, "notices/notice_form.html", {"trust": trust, "form": form, "preview": preview,
                                                        "notice": None})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    notice = _managed_notice(request, ods_code, pk)
    if notice.status == NoticeStatus.WITHDRAWN:
        raise Http404("A withdrawn notice cannot be edited.")
    trust = notice.trust
    preview = None
    if request.method == "POST":
        form = NoticeForm(request.POST, trust=trust, notice=notice)
        if form.is_valid():
            if "preview" in request.POST:
                preview = _preview(trust, form)
            else:
                try:
                    notice_update(notice=notice, user=request.user, action=form.cleaned_data["action"],
                                  title=form.cleaned_data["title"], body=form.cleaned_data["body"],
                                  what_to_do=form.cleaned_data["what_to_do"],
                                  change_note=form.cleaned_data.get("change_note", ""), request=request)
                except NoticeError as exc:
                    show_on_form(form, exc)
                else:
                    messages.success(request, "Update published." if form.is_update else "Draft saved.")
                    return redirect("notices:manage_notice", trust.ods_code, notice.pk)
    else:
        form = NoticeForm(trust=trust, notice=notice, initial={
            "action": notice.action, "title": notice.title, "body": notice.body, "what_to_do": notice.what_to_do,
        })
    return render(request, "notices/notice_form.html", {"trust": trust, "form": form, "preview": preview,
                                                        "notice": notice})


@login_required
def manage_notice(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    notice = _managed_notice(request, ods_code, pk)
    preview = notice_render(trust=notice.trust, action=notice.action, title=notice.title, body=notice.body,
                            what_to_do=notice.what_to_do)
    return render(request, "notices/manage_notice.html", {
        "trust": notice.trust, "notice": notice, "preview": preview,
        "revisions": notice.revisions.select_related("changed_by", "version").order_by("-created_at", "-id"),
    })


@login_required
@require_POST
def publish(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    notice = _managed_notice(request, ods_code, pk)
    try:
        notice_publish(notice=notice, user=request.user, request=request)
    except NoticeError as exc:
        show_as_message(request, exc)
    else:
        messages.success(request, "Notice published. Subscribers are being emailed.")
    return redirect("notices:manage_notice", notice.trust.ods_code, notice.pk)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    notice = _managed_notice(request, ods_code, pk)
    if notice.status != NoticeStatus.PUBLISHED:
        raise Http404("Only a published notice can be withdrawn.")
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice_withdraw(notice=notice, user=request.user, reason=form.cleaned_data["reason"], request=request)
        except NoticeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, "Notice withdrawn. Its page now shows your reason.")
            return redirect("notices:manage_notice", notice.trust.ods_code, notice.pk)
    return render(request, "notices/notice_withdraw.html", {"trust": notice.trust, "notice": notice, "form": form})
