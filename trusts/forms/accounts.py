"""Forms for two-factor authentication (the account pages and the code page after sign-in)."""

from __future__ import annotations

from typing import Any

from django import forms

from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Field, Layout, Submit


class TwoFactorCodeForm(forms.Form):
    """The 6-digit code from an authenticator app (set-up and each sign-in)."""

    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code shown in your authenticator app",
        max_length=20,
        error_messages={"required": "Enter the security code from your authenticator app"},
    )

    def __init__(self, *args: Any, submit_text: str = "Continue", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(form_tag=False)  # the templates add `next` to their own <form>
        self.helper.layout = Layout(
            Field.text("code", field_width=10, inputmode="numeric", autocomplete="one-time-code",
                       spellcheck="false"),
            Submit(None, submit_text),
        )

    def clean_code(self) -> str:
        # Apps show the code as "123 456"; people type it with spaces or dashes.
        code = "".join(ch for ch in self.cleaned_data["code"] if ch not in " -")
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the security code as 6 numbers, like 123456")
        return code


class ConfirmIdentityForm(forms.Form):
    """Re-authentication before a change that weakens or extends the account (turning two-factor
    off, minting an API token): the password, or the current code from the authenticator app.
    A stolen session alone is then not enough. Wrong codes are throttled by django-otp."""

    proof = forms.CharField(
        label="Your password, or the security code from your authenticator app",
        widget=forms.PasswordInput(render_value=False),
        max_length=128, strip=False,
        error_messages={"required": "Enter your password or the security code from your authenticator app"},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_proof(self) -> str:
        from trusts.otp import confirmed_device

        proof: str = self.cleaned_data["proof"]
        if self.user.check_password(proof):
            return proof
        code = "".join(ch for ch in proof if ch not in " -")
        device = confirmed_device(self.user)
        if device is not None and code.isascii() and code.isdigit() and len(code) == 6:
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                return proof
        raise forms.ValidationError("The password or security code is not correct")
