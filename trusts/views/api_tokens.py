"""Your API tokens (/account/tokens/): create one (its secret is shown once, on the page that
answers the form, and never again), see when each was last used, revoke one. Only your own tokens:
anyone else's is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from strikeops.errors import show_on_form
from trusts.forms.api_tokens import ApiTokenForm
from trusts.models import ApiToken
from trusts.scoping import AuthenticatedHttpRequest
from trusts.services.api_tokens import TokenLimitReached, api_token_create, api_token_revoke
from trusts.tasks import send_account_notice


def _list_context(request: AuthenticatedHttpRequest, form: ApiTokenForm) -> dict[str, object]:
    return {"form": form, "tokens": ApiToken.objects.filter(user=request.user)}


@never_cache  # the page that shows a new secret must not be kept by the browser or a proxy
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = api_token_create(user=request.user, name=form.cleaned_data["name"], request=request)
            send_account_notice.delay_on_commit(
                user_id=request.user.pk, kind="api_token_created")
        except TokenLimitReached as limit:
            show_on_form(form, limit, fields={"__all__": "name"})
        else:
            # Rendered, not redirected: the secret exists only in this response.
            return render(request, "account/tokens_created.html", {"token": created.token, "secret": created.secret})
    return render(request, "account/tokens.html", _list_context(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    if request.method == "POST":
        api_token_revoke(token=token, user=request.user, request=request)
        messages.success(request, f"Token {token.name} ({token.prefix}...) is revoked. Systems using it can no "
                                  "longer reach the API.")
        return redirect("account:tokens")
    return render(request, "account/tokens_revoke.html", {"token": token})
