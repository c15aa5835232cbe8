"""The opt-out page every campaign message links to, for patients: no sign-in, no JavaScript.

GET asks (mail systems' link scanners fetch every link and must not opt anyone out); the page's
button POSTs to confirm. Mail clients use the one-click address from the email's RFC 8058
List-Unsubscribe header: a POST of "List-Unsubscribe=One-Click" with no cookie and no CSRF token,
whose authority is the signed token in the address. Neither page shows any contact details.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notices.models import Recipient
from notices.services.opt_outs import recipient_for_opt_out, recipient_opt_out, recipient_opted_out


def _recipient_or_404(token: str) -> Recipient:
    recipient = recipient_for_opt_out(token=token)
    if recipient is None:
        raise Http404("This opt-out link is not one of ours.")
    return recipient


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    recipient = _recipient_or_404(token)
    trust = recipient.campaign.trust
    if request.method == "POST":
        recipient_opt_out(recipient=recipient, source="opt-out page", request=request)
        return render(request, "campaigns/opt_out_done.html", {"trust": trust})
    return render(request, "campaigns/opt_out.html", {
        "trust": trust, "already": recipient_opted_out(recipient=recipient)})


@csrf_exempt  # RFC 8058: the mail provider POSTs with no cookie or CSRF token; the signed token is the authority.
@require_http_methods(["GET", "POST"])
def opt_out_one_click(request: HttpRequest, token: str) -> HttpResponse:
    recipient = _recipient_or_404(token)
    if request.method == "GET":
        # A person who opened the header's address in a browser: the page that asks.
        return redirect("campaigns:opt_out", token)
    recipient_opt_out(recipient=recipient, source="one-click", request=request)
    return HttpResponse("You will not get more messages like this.\n", content_type="text/plain; charset=utf-8")
