"""Forms for message templates and campaigns, laid out with the nhsuk crispy pack."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from crispy_forms_nhsuk.fields import DateInputField
from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import HTML, Field, Layout, Size, Submit
from notices.models import Channel, MessageTemplate
from notices.models.templates import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH
from notices.placeholders import TRUST_PLACEHOLDERS
from notices.services.templates import (
    actions_for_trust,
    parse_recipient_columns,
    recipient_column_errors,
    sms_length_error,
    templates_for_trust,
    unknown_placeholder_message,
    unknown_placeholders,
)
from trusts import clock
from trusts.dates import formatted
from trusts.models import IndustrialAction, Trust
from trusts.strike_calendar import LONDON

NAME_MAX = 100
SCHEDULE_MAX_DAYS = 7

PLACEHOLDER_HINT = (
    "Put placeholders in double brackets. Filled in from your trust's returns: "
    + ", ".join(f"(({name}))" for name in TRUST_PLACEHOLDERS)
    + ". Anything else, like ((name)) or ((appointment_date)), must be one of the recipient columns below."
)


class MessageTemplateForm(forms.Form):
    name = forms.CharField(label="Template name", max_length=NAME_MAX, error_messages={
        "required": "Enter a template name", "max_length": f"Template name must be {NAME_MAX} characters or fewer"})
    channel = forms.ChoiceField(
        label="How will patients get this message?", choices=Channel.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select email, text message or letter"})
    subject = forms.CharField(
        label="Subject or letter heading", max_length=SUBJECT_MAX_LENGTH, required=False,
        help_text="For emails and letters. Text messages have no subject.",
        error_messages={"max_length": f"Subject must be {SUBJECT_MAX_LENGTH} characters or fewer"})
    body = forms.CharField(label="Message", widget=forms.Textarea, max_length=BODY_MAX_LENGTH,
                           help_text=PLACEHOLDER_HINT, strip=False, error_messages={
                               "required": "Enter the message",
                               "max_length": f"Message must be {BODY_MAX_LENGTH:,} characters or fewer"})
    recipient_columns = forms.CharField(
        label="Recipient columns", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The personalisation columns your recipient file will have, separated by commas, "
                  "for example: name, appointment date, appointment reference")
    action = forms.ModelChoiceField(
        label="Preview with the figures for", queryset=IndustrialAction.objects.none(), required=False,
        to_field_name="slug", empty_label="No industrial action (trust name only)")

    def __init__(self, *args: Any, trust: Trust, template: MessageTemplate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trust = trust
        self.template = template
        action = self.fields["action"]
        assert isinstance(action, forms.ModelChoiceField)
        action.queryset = actions_for_trust(trust)
        if template is not None:
            # The channel is fixed once created: the campaigns that used it were built for it.
            del self.fields["channel"]
        self.helper = FormHelper()
        fields: list[Any] = [Field.text("name", field_width="two-thirds")]
        if template is None:
            fields.append(Field.radios("channel", legend_size=Size.s, inline=True))
        if template is None or template.channel != Channel.SMS:
            fields.append(Field.text("subject", field_width="full"))
        else:
            del self.fields["subject"]
        fields += [
            Field.textarea("body", rows=14),
            Field.text("recipient_columns", field_width="full"),
            Field.select("action"),
            HTML('<div class="nhsuk-button-group">'),
            Submit("preview", "Preview", variant="secondary"),
            Submit("save", "Save template"),
            HTML("</div>"),
        ]
        self.helper.layout = Layout(*fields)

    @property
    def chosen_channel(self) -> str:
        if self.template is not None:
            return self.template.channel
        return self.cleaned_data.get("channel", "") if hasattr(self, "cleaned_data") else ""

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        taken = MessageTemplate.objects.filter(trust=self.trust, name__iexact=name, archived=False)
        if self.template is not None:
            taken = taken.exclude(pk=self.template.pk)
        if taken.exists():
            raise forms.ValidationError("You already have a template with this name: choose another")
        return name

    def clean_recipient_columns(self) -> list[str]:
        columns = parse_recipient_columns(self.cleaned_data.get("recipient_columns", ""))
        errors = recipient_column_errors(columns)
        if errors:
            raise forms.ValidationError(errors[0])
        return columns

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        channel = self.chosen_channel
        body = data.get("body") or ""
        subject = (data.get("subject") or "").strip()
        data["subject"] = subject if channel != Channel.SMS else ""
        if channel in (Channel.EMAIL, Channel.LETTER) and not subject and "subject" not in self.errors:
            self.add_error("subject", "Enter a subject" if channel == Channel.EMAIL else "Enter a letter heading")
        columns = data.get("recipient_columns")
        if columns is None:
            return data
        if body:
            unknown = unknown_placeholders([body], columns)
            if unknown:
                self.add_error("body", unknown_placeholder_message(unknown))
            elif channel == Channel.SMS and (problem := sms_length_error(body)):
                self.add_error("body", problem)
        if subject and channel != Channel.SMS:
            unknown = unknown_placeholders([subject], columns)
            if unknown:
                self.add_error("subject", unknown_placeholder_message(unknown))
        return data


def template_label(template: MessageTemplate) -> str:
    kind = template.get_channel_display().lower()
    label = template.name if kind in template.name.lower() else f"{template.name} ({kind})"
    return label + (", default template" if template.is_default else "")


class CampaignStartForm(forms.Form):
    template = forms.ModelChoiceField(label="Message template", queryset=MessageTemplate.objects.none(),
                                      widget=forms.RadioSelect,
                                      error_messages={"required": "Select a message template",
                                                      "invalid_choice": "Select a message template"})
    action = forms.ModelChoiceField(
        label="Industrial action", queryset=IndustrialAction.objects.none(), to_field_name="slug",
        help_text="The ((action_name)), ((action_dates)) and figures come from your returns for this action.",
        error_messages={"required": "Select the industrial action the message is about",
                        "invalid_choice": "Select the industrial action the message is about"})

    def __init__(self, *args: Any, trust: Trust, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trust = trust
        template, action = self.fields["template"], self.fields["action"]
        assert isinstance(template, forms.ModelChoiceField) and isinstance(action, forms.ModelChoiceField)
        template.queryset = templates_for_trust(trust)
        template.label_from_instance = template_label  # type: ignore[assignment]  # Django's documented hook
        action.queryset = actions_for_trust(trust)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("template", legend_size=Size.m),
            Field.select("action"),
            Submit("continue", "Continue"),
        )


class RecipientFileForm(forms.Form):
    file = forms.FileField(
        label="Upload your recipient list",
        help_text="A CSV or Excel (.xlsx) file with one row per patient.",
        error_messages={"required": "Select a CSV or Excel file", "empty": "The selected file is empty"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page writes the <form> itself: it carries the chosen template and action as hidden fields.
        self.helper = FormHelper(form_tag=False)
        self.helper.layout = Layout(Field("file"), Submit("upload", "Upload and check the file"))


TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)


class SendForm(forms.Form):
    when = forms.ChoiceField(
        label="When should the messages be sent?",
        choices=[("now", "Now"), ("later", "At a set date and time (up to 7 days ahead)")],
        widget=forms.RadioSelect, error_messages={"required": "Select when to send the messages"})
    send_date = DateInputField(label="Date", subject="Date", required=False,
                               help_text="For example, 18 4 2023")
    send_time = forms.CharField(label="Time", required=False, max_length=10,
                                help_text="For example, 9:30am or 14:00 (UK time)")

    def __init__(self, *args: Any, now: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or clock.now()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("when", legend_size=Size.m),
            Field.date("send_date", legend_size=Size.s),
            Field.text("send_time", field_width=5),
            Submit("send", "Send messages"),
        )

    def clean_send_time(self) -> dt.time | None:
        raw = self.cleaned_data.get("send_time", "")
        if not raw:
            return None
        match = TIME.match(raw)
        if not match:
            raise forms.ValidationError("Enter a time like 9:30am or 14:00")
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
        if half:
            if not 1 <= hour <= 12:
                raise forms.ValidationError("Time must be a real time, like 9:30am or 14:00")
            hour = hour % 12 + (12 if half == "pm" else 0)
        if hour > 23 or minute > 59:
            raise forms.ValidationError("Time must be a real time, like 9:30am or 14:00")
        return dt.time(hour, minute)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["send_at"] = None
        if data.get("when") != "later":
            return data
        day, time = data.get("send_date"), data.get("send_time")
        if day is None and "send_date" not in self.errors:
            self.add_error("send_date", "Enter the date to send the messages")
        if time is None and "send_time" not in self.errors:
            self.add_error("send_time", "Enter the time to send the messages")
        if day is None or time is None:
            return data
        send_at = dt.datetime.combine(day, time, tzinfo=LONDON)
        if send_at <= self.now:
            self.add_error("send_date", "The date and time must be in the future")
        elif send_at > self.now + dt.timedelta(days=SCHEDULE_MAX_DAYS):
            latest = (self.now + dt.timedelta(days=SCHEDULE_MAX_DAYS)).astimezone(LONDON)
            self.add_error("send_date", f"The date and time must be within 7 days: by {formatted(latest, 'date')} "
                                        f"at {formatted(latest, 'time')}")
        else:
            data["send_at"] = send_at
        return data
