"""The filters on the audit log page (a GET form: filters belong in the address, to share it)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from crispy_forms_nhsuk.fields import DateInputField
from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Field, Layout, Size, Submit

ODS_CODE = re.compile(r"^[A-Z0-9]{3,5}$")


class AuditFilterForm(forms.Form):
    event = forms.ChoiceField(label="Event", required=False)
    trust = forms.CharField(label="Trust ODS code", help_text="For example, RWE", required=False, max_length=5,
                            error_messages={"max_length": "Trust ODS code must be 5 characters or fewer"})
    actor = forms.CharField(label="Email address of the person", help_text="All or part of the address",
                            required=False, max_length=254)
    date_from = DateInputField(label="From", subject="From date", required=False,
                               help_text="For example, 15 3 2025")
    date_to = DateInputField(label="To", subject="To date", required=False, help_text="For example, 16 3 2025")

    def __init__(self, *args: Any, event_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.fields["event"]
        assert isinstance(event, forms.ChoiceField)
        event.choices = [("", "All events"), *((e, e) for e in event_types)]
        self.helper = FormHelper(legend_size=Size.s)
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.select("event"),
            Field.text("trust", field_width=5, spellcheck="false"),
            Field.text("actor", field_width="two-thirds", spellcheck="false", autocomplete="off"),
            Field.date("date_from"),
            Field.date("date_to"),
            Submit(None, "Filter events", variant="secondary"),
        )

    def clean_trust(self) -> str:
        code: str = self.cleaned_data["trust"].strip().upper()
        if code and not ODS_CODE.match(code):
            raise forms.ValidationError("Trust ODS code must be 3 to 5 letters and numbers, like RWE")
        return code

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "To date must be the same as or after the from date")
        return cleaned
