"""Message template pages for a trust's communications staff: list, create, edit with preview, copy, archive.

Only the trust's communications staff (role trust_comms) may see these pages; anyone else signed
in gets 404, as for another trust's data (docs/messaging.md says why administrators are left out).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from notices.forms.campaigns import MessageTemplateForm
from notices.models import Channel, MessageTemplate
from notices.services.templates import (
    Preview,
    actions_for_trust,
    needed_columns,
    sample_personalisation,
    template_archive,
    template_copy,
    template_create,
    template_preview,
    template_update,
    templates_for_trust,
)
from trusts.models import IndustrialAction, Trust
from trusts.scoping import AuthenticatedHttpRequest, get_scoped_trust_or_404, trusts_notices_manageable


def posted_data(request: HttpRequest) -> Any:
    """The POST data to bind a form to, or None on GET (an empty POST still binds, so that a form
    submitted with nothing chosen shows its errors)."""
    return request.POST if request.method == "POST" else None


def comms_trust_or_404(request: HttpRequest, ods_code: str) -> Trust:
    """The trust whose messages this user manages: communications staff of that trust only."""
    return get_scoped_trust_or_404(trusts_notices_manageable(request.user), ods_code)


def _template_or_404(trust: Trust, pk: int, *, editable: bool = False) -> MessageTemplate:
    template = get_object_or_404(templates_for_trust(trust), pk=pk)
    if editable and template.is_default:
        raise Http404("Default templates are copied, not edited.")
    return template


def _crumbs(trust: Trust) -> list[dict[str, str]]:
    return [
        {"href": reverse("campaigns:trust", args=[trust.ods_code]), "text": "Messages"},
        {"href": reverse("campaigns:templates", args=[trust.ods_code]), "text": "Message templates"},
    ]


def _preview_context(*, trust: Trust, channel: str, subject: str, body: str, columns: list[str],
                     action: IndustrialAction | None) -> dict[str, Any]:
    used = needed_columns(MessageTemplate(channel=channel, subject=subject, body=body))
    personalisation = sample_personalisation(list(dict.fromkeys([*columns, *used])))
    preview: Preview = template_preview(channel=channel, subject=subject, body=body, trust=trust, action=action,
                                        personalisation=personalisation)
    contact = {Channel.EMAIL.value: ["email address"], Channel.SMS.value: ["phone number"]}.get(
        channel, ["address line 1", "address line 2", "postcode"])
    return {"preview": preview, "preview_action": action, "preview_channel": channel,
            "file_columns": contact + [c.replace("_", " ") for c in used]}


@login_required
def template_list(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    templates = list(templates_for_trust(trust))
    return render(request, "message_templates/template_list.html", {
        "trust": trust,
        "own_templates": [t for t in templates if not t.is_default],
        "default_templates": [t for t in templates if t.is_default],
        "breadcrumbs": _crumbs(trust)[:1],
    })


@login_required
def template_new(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    form = MessageTemplateForm(posted_data(request), trust=trust)
    context: dict[str, Any] = {"trust": trust, "form": form, "template": None, "breadcrumbs": _crumbs(trust)}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "save" in request.POST:
            template = template_create(trust=trust, name=data["name"], channel=data["channel"],
                                       subject=data["subject"], body=data["body"],
                                       recipient_columns=data["recipient_columns"], user=request.user)
            messages.success(request, f"Template '{template.name}' saved")
            return redirect("campaigns:template", trust.ods_code, template.pk)
        context.update(_preview_context(trust=trust, channel=data["channel"], subject=data["subject"],
                                        body=data["body"], columns=data["recipient_columns"], action=data["action"]))
    return render(request, "message_templates/template_form.html", context)


@login_required
def template_detail(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    """Edit a trust template (defaults are shown read-only, with a button to copy them)."""
    trust = comms_trust_or_404(request, ods_code)
    template = _template_or_404(trust, pk)
    actions = actions_for_trust(trust)
    context: dict[str, Any] = {"trust": trust, "template": template, "breadcrumbs": _crumbs(trust)}
    if template.is_default:
        action = actions.filter(slug=request.GET.get("action", "")).first() or actions.first()
        context.update(actions=actions, **_preview_context(
            trust=trust, channel=template.channel, subject=template.subject, body=template.body,
            columns=template.recipient_columns, action=action))
        return render(request, "message_templates/template_default.html", context)

    first_action = actions.first()
    initial = {"name": template.name, "subject": template.subject, "body": template.body,
               "recipient_columns": ", ".join(c.replace("_", " ") for c in template.recipient_columns),
               "action": first_action}
    form = MessageTemplateForm(posted_data(request), trust=trust, template=template, initial=initial)
    context["form"] = form
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if "save" in request.POST:
                template_update(template=template, name=data["name"], subject=data["subject"], body=data["body"],
                                recipient_columns=data["recipient_columns"], user=request.user)
                messages.success(request, f"Template '{template.name}' saved")
                return redirect("campaigns:template", trust.ods_code, template.pk)
            context.update(_preview_context(trust=trust, channel=template.channel, subject=data["subject"],
                                            body=data["body"], columns=data["recipient_columns"],
                                            action=data["action"]))
    else:
        context.update(_preview_context(trust=trust, channel=template.channel, subject=template.subject,
                                        body=template.body, columns=template.recipient_columns,
                                        action=first_action))
    return render(request, "message_templates/template_form.html", context)


@login_required
@require_POST
def template_copy_view(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    copy = template_copy(template=_template_or_404(trust, pk), trust=trust, user=request.user)
    messages.success(request, f"Copied as '{copy.name}': you can now change it")
    return redirect("campaigns:template", trust.ods_code, copy.pk)


@login_required
@require_POST
def template_archive_view(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    template = _template_or_404(trust, pk, editable=True)
    template_archive(template=template, user=request.user)
    messages.success(request, f"Template '{template.name}' archived")
    return redirect("campaigns:templates", trust.ods_code)
