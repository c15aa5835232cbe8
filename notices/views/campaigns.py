"""Campaign pages for a trust's communications staff: choose a template and action, upload the list,
fix its errors or check the first messages, send now or schedule, watch progress, cancel, export.

Scope first (communications staff of that trust only, 404 otherwise), validate, call the delivery
service, redirect. Contact details are shown only on these pages, to those staff.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from notices.forms.campaigns import CampaignStartForm, RecipientFileForm, SendForm
from notices.models.campaigns import Campaign, CampaignStatus, Delivery, DeliveryStatus, Recipient
from notices.models.templates import Channel, MessageTemplate
from notices.placeholders import render_keeping_missing
from notices.selectors.campaigns import action_reconciliation, campaign_opted_out_count
from notices.selectors.delivery import (
    campaign_progress_shared,
    campaign_progress_shared_many,
    deliveries_outcomes_csv,
)
from notices.services import campaigns as campaign_service
from notices.services import delivery as delivery_service
from notices.services.opt_outs import opt_out_footer
from notices.services.recipients import recipients_check, required_contact_columns
from notices.services.templates import (
    actions_for_trust,
    needed_columns,
    template_send_errors,
    templates_for_trust,
    trust_values,
)
from notices.views.message_templates import comms_trust_or_404, posted_data
from outbox.models import FAILURE_STATUSES, PENDING_STATUSES
from strikeops.errors import show_as_message, show_on_form
from trusts import clock
from trusts.models import IndustrialAction, Trust
from trusts.scoping import AuthenticatedHttpRequest, trusts_notices_manageable
from trusts.tabular import csv_safe

PREVIEW_COUNT = 3
ERRORS_IN_SUMMARY = 10
FAILURES_SHOWN = 100


CAMPAIGNS_PER_PAGE = 20

def _campaign_or_404(trust: Trust, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("template", "action", "trust"), trust=trust, pk=pk)


def _crumbs(trust: Trust, *extra: tuple[str, str]) -> list[dict[str, str]]:
    crumbs = [{"href": reverse("campaigns:trust", args=[trust.ods_code]), "text": "Messages"}]
    return crumbs + [{"href": href, "text": text} for href, text in extra]


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    trusts = list(trusts_notices_manageable(request.user).order_by("name"))
    if not trusts:
        raise Http404("Messages are for trust communications staff.")
    if len(trusts) == 1:
        return redirect("campaigns:trust", trusts[0].ods_code)
    return render(request, "campaigns/choose_trust.html", {"trusts": trusts})


@login_required
def campaign_list(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    page = Paginator(Campaign.objects.filter(trust=trust).select_related("template", "action")
                     .order_by("-created_at", "-pk"), CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    # A finished campaign's counts are stored on it; the page's unfinished ones read the shared
    # 2-second figure, so the list costs the same after a million deliveries as after ten.
    live = campaign_progress_shared_many([c for c in page if not c.totals])
    rows = []
    for campaign in page:
        c = campaign.totals or live[campaign.pk]["counts"]
        rows.append({
            "campaign": campaign,
            "sent": c.get(DeliveryStatus.SENT, 0) + c.get(DeliveryStatus.DELIVERED, 0),
            "failed": sum(c.get(s, 0) for s in FAILURE_STATUSES),
        })
    return render(request, "campaigns/campaign_list.html", {
        "trust": trust, "rows": rows, "page": page, "actions": actions_for_trust(trust)[:6],
    })


@login_required
def campaign_new(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    form = CampaignStartForm(posted_data(request), trust=trust)
    if request.method == "POST" and form.is_valid():
        template, action = form.cleaned_data["template"], form.cleaned_data["action"]
        problems = template_send_errors(template=template, trust=trust, action=action)
        if not problems:
            url = reverse("campaigns:upload", args=[trust.ods_code])
            return redirect(f"{url}?template={template.pk}&action={action.slug}")
        for problem in problems:
            form.add_error("template", problem)
    return render(request, "campaigns/campaign_new.html", {
        "trust": trust, "form": form, "breadcrumbs": _crumbs(trust),
    })


def _choice_or_404(request: HttpRequest, trust: Trust) -> tuple[MessageTemplate, IndustrialAction]:
    params = request.POST if request.method == "POST" else request.GET
    template_id, slug = params.get("template", ""), params.get("action", "")
    if not template_id.isdigit():
        raise Http404("Choose a template first.")
    template = get_object_or_404(templates_for_trust(trust), pk=int(template_id))
    action = get_object_or_404(actions_for_trust(trust), slug=slug)
    return template, action


def _file_columns(template: MessageTemplate) -> list[str]:
    contact = required_contact_columns(template.channel)
    if template.channel == Channel.LETTER:
        contact = ["address line 1", "address line 2", "postcode"]
    return contact + [c.replace("_", " ") for c in needed_columns(template)]


@login_required
def campaign_upload(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    template, action = _choice_or_404(request, trust)
    form = RecipientFileForm(posted_data(request), request.FILES if request.method == "POST" else None)
    context: dict[str, Any] = {
        "trust": trust, "template": template, "action": action, "form": form,
        "file_columns": _file_columns(template),
        "breadcrumbs": _crumbs(trust, (reverse("campaigns:new", args=[trust.ods_code]), "Send messages")),
    }
    if request.method == "POST" and form.is_valid():
        problems = template_send_errors(template=template, trust=trust, action=action)
        upload = form.cleaned_data["file"]
        result = None
        if not problems:
            result = recipients_check(template=template, stream=upload.file, filename=upload.name, size=upload.size)
        if problems or (result is not None and result.errors):
            errors = result.errors if result is not None else []
            count = len(errors) or len(problems)
            form.add_error("file", f"The selected file has {count:,} error{'s' if count != 1 else ''}: fix "
                                   f"{'them' if count != 1 else 'it'} and upload the file again"
                           if errors else problems[0])
            for error in errors[:ERRORS_IN_SUMMARY]:
                form.add_error(None, _error_text(error))
            context.update(file_errors=errors, file_name=upload.name,
                           more_errors=max(len(errors) - ERRORS_IN_SUMMARY, 0))
        else:
            assert result is not None
            campaign = delivery_service.campaign_create(
                trust=trust, template=template, action=action, channel=template.channel, rows=result.rows,
                user=request.user, request=request)
            return redirect("campaigns:campaign", trust.ods_code, campaign.pk)
    return render(request, "campaigns/campaign_upload.html", context)


def _error_text(error: Any) -> str:
    where = f"Line {error.line}" if error.line else "The file"
    if error.column:
        where += f", column '{error.column}'"
    message = error.message[0].upper() + error.message[1:] if error.message else ""
    return f"{where}: {message}"


def _preview_messages(campaign: Campaign) -> list[dict[str, Any]]:
    """The first few messages exactly as their patients will read them, ending with the opt-out line
    the delivery service adds."""
    figures = campaign.figures or trust_values(campaign.trust, campaign.action)
    previews = []
    for recipient in Recipient.objects.filter(campaign=campaign).order_by("line")[:PREVIEW_COUNT]:
        values = {**figures, **(recipient.personalisation or {})}  # as the delivery service renders them
        # A figure not reported stays ((visible)); the page says why these messages cannot be sent.
        previews.append({
            "recipient": recipient,
            "to": _contact(campaign.channel, recipient),
            "subject": render_keeping_missing(campaign.subject, values)[0] if campaign.subject else "",
            "body": render_keeping_missing(campaign.body, values)[0].rstrip() + "\n\n" + opt_out_footer(
                kind=campaign.channel, trust_name=campaign.trust.name, recipient_id=recipient.pk),
        })
    return previews


def _contact(channel: str, recipient: Recipient) -> str:
    if channel == Channel.EMAIL:
        return recipient.email or ""
    if channel == Channel.SMS:
        return recipient.phone or ""
    return ", ".join(recipient.address_lines or [])


@login_required
def campaign_detail(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    campaign = _campaign_or_404(trust, pk)
    context: dict[str, Any] = {"trust": trust, "campaign": campaign, "breadcrumbs": _crumbs(trust)}
    if campaign.status == CampaignStatus.DRAFT:
        form = SendForm(posted_data(request), now=clock.now())
        blocked = delivery_service.campaign_figure_errors(campaign)
        if request.method == "POST" and form.is_valid() and not blocked:
            try:
                campaign = campaign_service.campaign_start(campaign=campaign, user=request.user,
                                                           send_at=form.cleaned_data["send_at"], request=request)
            except delivery_service.CampaignError as error:
                show_on_form(form, error)
            else:
                messages.success(request, f"{campaign.recipient_count:,} messages scheduled"
                                 if campaign.status == CampaignStatus.SCHEDULED
                                 else f"Sending {campaign.recipient_count:,} messages")
                return redirect("campaigns:campaign", trust.ods_code, campaign.pk)
        context.update(form=form, previews=_preview_messages(campaign), blocked=blocked,
                       opted_out=campaign_opted_out_count(campaign),
                       blocked_errors=[{"text": problem, "href": "#figures-missing"} for problem in blocked])
        return render(request, "campaigns/campaign_check.html", context)

    progress = campaign_progress_shared(campaign)
    counts = _progress_counts(progress)
    # The recipient's campaign too (the same campaign, said twice): PostgreSQL then walks the
    # recipients in line order and stops at FAILURES_SHOWN, instead of sorting every failure
    # (0.3 ms instead of 930 ms with 400,000 failures).
    failures = (Delivery.objects.filter(campaign=campaign, recipient__campaign=campaign, status__in=FAILURE_STATUSES)
                .select_related("recipient").order_by("recipient__line")[:FAILURES_SHOWN])
    context.update(
        progress=progress,
        failures=[{"line": d.recipient.line, "contact": _contact(campaign.channel, d.recipient),
                   "status": d.get_status_display(), "reason": d.failure_reason} for d in failures],
        can_cancel=campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING),
        pending=progress_pending(progress),
        activity=progress_activity(progress, campaign.status),
        status_rows=[{"status": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in DeliveryStatus],
        failures_shown=FAILURES_SHOWN,
    )
    return render(request, "campaigns/campaign_detail.html", context)


def progress_activity(progress: Any, status: str) -> list[str]:
    """What is happening, in words, so that a bar that is not moving explains itself."""
    if status != CampaignStatus.SENDING:
        return []
    activity = []
    if progress["stalled"]:
        activity.append("Paused: a worker stopped; resuming")
    if progress["retrying"]:
        activity.append(f"Retrying {progress['retrying']:,} after a temporary failure")
    return activity


def progress_pending(progress: Any) -> int:
    counts = _progress_counts(progress)
    return sum(counts.get(s, 0) for s in PENDING_STATUSES)


def _progress_counts(progress: Any) -> dict[str, int]:
    counts = dict(progress["counts"])
    return {s.value: counts.get(s.value, 0) for s in DeliveryStatus}


@login_required
def campaign_progress_json(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> JsonResponse:
    trust = comms_trust_or_404(request, ods_code)
    campaign = _campaign_or_404(trust, pk)
    progress = campaign_progress_shared(campaign)
    campaign.refresh_from_db(fields=["status"])
    return JsonResponse({
        "status": campaign.status,
        "status_label": campaign.get_status_display(),
        "percent": progress["percent"],
        "counts": _progress_counts(progress),
        "activity": progress_activity(progress, campaign.status),
        "possibly_duplicated": progress["possibly_duplicated"],
        "finished": campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED),
    })


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """Rows as CSV text, one line at a time (the export streams: a campaign may have 100,000 rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_safe(str(cell)) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@login_required
def campaign_outcomes(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> StreamingHttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    campaign = _campaign_or_404(trust, pk)
    delivery_service.campaign_outcomes_exported(campaign=campaign, user=request.user, request=request)
    response = StreamingHttpResponse(csv_lines(deliveries_outcomes_csv(campaign)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-outcomes.csv"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def campaign_cancel(request: AuthenticatedHttpRequest, ods_code: str, pk: int) -> HttpResponse:
    trust = comms_trust_or_404(request, ods_code)
    campaign = _campaign_or_404(trust, pk)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        messages.info(request, "This campaign has already finished; there is nothing to cancel")
        return redirect("campaigns:campaign", trust.ods_code, campaign.pk)
    if request.method == "POST":
        try:
            delivery_service.campaign_cancel(campaign=campaign, user=request.user, request=request)
        except delivery_service.CampaignError as error:
            show_as_message(request, error)
        else:
            messages.success(request, "Campaign cancelled: no more messages will be sent")
        return redirect("campaigns:campaign", trust.ods_code, campaign.pk)
    return render(request, "campaigns/campaign_cancel.html", {
        "trust": trust, "campaign": campaign,
        "breadcrumbs": _crumbs(trust, (reverse("campaigns:campaign", args=[trust.ods_code, campaign.pk]),
                                       "Campaign")),
    })


@login_required
def action_messages(request: AuthenticatedHttpRequest, ods_code: str, slug: str) -> HttpResponse:
    """Reconciliation: what the trust rescheduled (its returns) beside whom it has told (its deliveries)."""
    trust = comms_trust_or_404(request, ods_code)
    action = get_object_or_404(actions_for_trust(trust), slug=slug)
    campaigns = Campaign.objects.filter(trust=trust, action=action).select_related("template")
    return render(request, "campaigns/action_messages.html", {
        "trust": trust, "action": action, "reconciliation": action_reconciliation(trust, action),
        "campaigns": campaigns, "breadcrumbs": _crumbs(trust),
    })


@login_required
def action_messages_redirect(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """/messages/actions/<slug>/ for someone with one trust: that trust's page for the action."""
    trusts = list(trusts_notices_manageable(request.user)[:2])
    if len(trusts) != 1:
        raise Http404("Choose the trust first.")
    return redirect("campaigns:action", trusts[0].ods_code, slug)

