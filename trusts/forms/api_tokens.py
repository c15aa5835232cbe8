"""The form that names a new API token (/account/tokens/)."""

from __future__ import annotations

from typing import Any

from django import forms

from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Field, Layout, Submit
from trusts.forms.accounts import ConfirmIdentityForm


class ApiTokenForm(ConfirmIdentityForm):
    name = forms.CharField(
        label="Name the token",
        help_text='Say which system will use it, so you know which to revoke later. For example, "PAS nightly '
                  'returns"',
        max_length=100,
        error_messages={"required": "Enter a name for the token",
                        "max_length": "The name must be 100 characters or fewer"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.text("name", field_width=20, autocomplete="off"),
                                    Field.text("proof", field_width=20, autocomplete="current-password"),
                                    Submit(None, "Create token"))

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name for the token")
        return name
