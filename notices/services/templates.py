"""Message templates: checking placeholders, previewing with a trust's real figures, and changes.

The rules, in one place so that the template pages and the campaign flow agree:
- a placeholder is either a trust placeholder (filled from the trust's returns) or a recipient
  column the template declares; anything else is a mistake (usually a typo) and an error at once;
- before a campaign is sent, every trust placeholder must have a value for the chosen action, and
  the recipient file must supply every declared column the text uses (notices.services.recipients).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet

from notices.figures import notice_figures
from notices.models import Channel, MessageTemplate
from notices.models.templates import SMS_MAX_CHARACTERS
from notices.placeholders import TRUST_PLACEHOLDERS, normalise, placeholders_in, render_keeping_missing
from notices.sms import SmsLength, sms_length
from trusts.models import IndustrialAction, Trust, User
from trusts.services.audit import audit_record

# Columns of the recipient file that are contact details, not personalisation: a template may not
# declare them (they are never put into a message body by us).
CONTACT_COLUMNS = ("email_address", "phone_number", "nhs_number", "postcode",
                   *(f"address_line_{n}" for n in range(1, 8)))
COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")

# Shown in previews in place of per-patient values: plausible, obviously not a real patient.
SAMPLE_PERSONALISATION = {
    "name": "Alex Example",
    "first_name": "Alex",
    "last_name": "Example",
    "appointment_date": "12 April 2023",
    "appointment_time": "9:30am",
    "appointment_reference": "ABC1234",
    "clinic": "Outpatients, Leicester Royal Infirmary",
}


def parse_recipient_columns(text: str) -> list[str]:
    """'name, Appointment date' -> ['name', 'appointment_date'] (as Notify matches columns)."""
    names = [normalise(part) for part in re.split(r"[,\n]", text or "") if part.strip()]
    return list(dict.fromkeys(names))


def recipient_column_errors(columns: Iterable[str]) -> list[str]:
    errors = []
    for name in columns:
        if not COLUMN_NAME.match(name):
            errors.append(f"Recipient column '{name}' must start with a letter and use only letters, numbers "
                          "and spaces or underscores (up to 50 characters)")
        elif name in TRUST_PLACEHOLDERS:
            errors.append(f"'{name}' is filled in from your trust's figures; remove it from the recipient columns")
        elif name in CONTACT_COLUMNS:
            errors.append(f"'{name}' is a contact detail column, not personalisation; remove it from the "
                          "recipient columns")
    return errors


def unknown_placeholders(texts: Iterable[str], recipient_columns: Iterable[str]) -> list[str]:
    allowed = set(TRUST_PLACEHOLDERS) | {normalise(c) for c in recipient_columns}
    return [name for name in placeholders_in(*texts) if name not in allowed]


def unknown_placeholder_message(names: list[str]) -> str:
    listed = ", ".join(f"(({n}))" for n in names)
    noun = "is not a placeholder" if len(names) == 1 else "are not placeholders"
    return (f"{listed} {noun} we know: check the spelling, or add "
            f"{'it' if len(names) == 1 else 'them'} to the recipient columns")


def sms_length_error(body: str) -> str | None:
    # Judged on the text with placeholders as typed; the preview shows the length once filled.
    length = sms_length(body)
    if length.characters > SMS_MAX_CHARACTERS:
        return (f"Text message must be {SMS_MAX_CHARACTERS} characters or fewer (6 parts); "
                f"it is {length.characters:,}")
    return None


def templates_for_trust(trust: Trust) -> QuerySet[MessageTemplate]:
    """The trust's own live templates and the shipped defaults (which it can copy, not edit)."""
    return MessageTemplate.objects.filter(Q(trust=trust) | Q(trust__isnull=True), archived=False) \
        .order_by("trust_id", "name", "channel")


def actions_for_trust(trust: Trust) -> QuerySet[IndustrialAction]:
    """Actions that concern the trust: those naming it and those affecting every trust."""
    return IndustrialAction.objects.filter(Q(affected_trusts=trust) | Q(affected_trusts__isnull=True)) \
        .distinct().order_by("-first_day", "name")


@dataclass
class Preview:
    subject: str
    body: str
    missing: list[str] = field(default_factory=list)
    """Placeholders with no value (a trust figure not reported yet): errors before sending."""
    sms: SmsLength | None = None


def trust_values(trust: Trust, action: IndustrialAction | None) -> dict[str, object]:
    """The trust placeholders' values, blank for a figure the trust has not reported: the same rule
    as notices (notice_figures), so that no message says "0 appointments" for a trust that sent nothing."""
    return dict(notice_figures(trust=trust, action=action))


def unreported_figures(texts: Iterable[str], values: Mapping[str, object]) -> list[str]:
    """Trust placeholders in the texts that have no value (a figure not reported, or no action chosen)."""
    return [n for n in placeholders_in(*texts) if n in TRUST_PLACEHOLDERS and values.get(n) in (None, "")]


def unreported_figures_message(names: list[str], action: IndustrialAction | None) -> str:
    listed = ", ".join(f"(({n}))" for n in names)
    if action is None:
        return f"Choose the industrial action: the message uses {listed}"
    return (f"Your trust has no figure yet for {listed} for {action.name}: submit the returns first or remove "
            "the placeholder")


def template_preview(*, channel: str, subject: str, body: str, trust: Trust, action: IndustrialAction | None,
                     personalisation: Mapping[str, object] | None = None) -> Preview:
    """The message as a patient would read it, with the trust's real figures for the action and the
    given personalisation (sample values by default)."""
    values: dict[str, object] = dict(personalisation if personalisation is not None else SAMPLE_PERSONALISATION)
    values.update(trust_values(trust, action))
    rendered_subject, missing_subject = (render_keeping_missing(subject, values) if channel != Channel.SMS
                                         else ("", []))
    rendered_body, missing_body = render_keeping_missing(body, values)
    missing = list(dict.fromkeys(missing_subject + missing_body))
    return Preview(subject=rendered_subject, body=rendered_body, missing=missing,
                   sms=sms_length(rendered_body) if channel == Channel.SMS else None)


def sample_personalisation(columns: Iterable[str]) -> dict[str, str]:
    return {c: SAMPLE_PERSONALISATION.get(c, f"Example {c.replace('_', ' ')}") for c in columns}


def template_send_errors(*, template: MessageTemplate, trust: Trust, action: IndustrialAction) -> list[str]:
    """Problems that stop a campaign with this template for this action, before any file is read."""
    errors = []
    texts = [template.body] + ([template.subject] if template.channel != Channel.SMS else [])
    unknown = unknown_placeholders(texts, template.recipient_columns)
    if unknown:
        errors.append(unknown_placeholder_message(unknown))
    empty = unreported_figures(texts, trust_values(trust, action))
    if empty:
        errors.append(unreported_figures_message(empty, action))
    return errors


def needed_columns(template: MessageTemplate) -> list[str]:
    """Recipient columns the template's text uses (declared columns it does not use are optional)."""
    texts = [template.body] + ([template.subject] if template.channel != Channel.SMS else [])
    return [n for n in placeholders_in(*texts) if n not in TRUST_PLACEHOLDERS]


def _changes(template: MessageTemplate, values: Mapping[str, object]) -> dict[str, list[object]]:
    return {k: [getattr(template, k), v] for k, v in values.items() if getattr(template, k) != v}


@transaction.atomic
def template_create(*, trust: Trust, name: str, channel: str, subject: str, body: str,
                    recipient_columns: list[str], user: User) -> MessageTemplate:
    template = MessageTemplate.objects.create(
        trust=trust, name=name, channel=channel, subject=subject if channel != Channel.SMS else "", body=body,
        recipient_columns=recipient_columns, created_by=user,
    )
    audit_record(event="message_template.created", summary=f"Created message template '{name}'",
                 actor=user, trust=trust, target=template, details={"channel": channel})
    return template


@transaction.atomic
def template_update(*, template: MessageTemplate, name: str, subject: str, body: str,
                    recipient_columns: list[str], user: User) -> MessageTemplate:
    # The channel is fixed once created: campaigns and their deliveries were built for it.
    values = {"name": name, "subject": subject if template.channel != Channel.SMS else "", "body": body,
              "recipient_columns": recipient_columns}
    changes = _changes(template, values)
    if not changes:
        return template
    for key, value in values.items():
        setattr(template, key, value)
    template.save()
    audit_record(event="message_template.updated", summary=f"Changed message template '{template.name}'",
                 actor=user, trust=template.trust, target=template,
                 details={"fields": sorted(changes)})
    return template


@transaction.atomic
def template_copy(*, template: MessageTemplate, trust: Trust, user: User) -> MessageTemplate:
    """A trust's own editable copy of a default (or of one of its templates), named so it is unique."""
    taken = set(MessageTemplate.objects.filter(trust=trust, archived=False).values_list("name", flat=True))
    name = template.name if template.is_default and template.name not in taken else f"Copy of {template.name}"
    base, n = name, 2
    while name in taken:
        name, n = f"{base} {n}", n + 1
    return template_create(trust=trust, name=name[:100], channel=template.channel, subject=template.subject,
                           body=template.body, recipient_columns=list(template.recipient_columns), user=user)


@transaction.atomic
def template_archive(*, template: MessageTemplate, user: User) -> None:
    template.archived = True
    template.save(update_fields=["archived", "updated_at"])
    audit_record(event="message_template.archived", summary=f"Archived message template '{template.name}'",
                 actor=user, trust=template.trust, target=template)
