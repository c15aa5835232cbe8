"""Forms for signing in and resetting a password, laid out with the nhsuk crispy pack."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from trusts.services.password_reset import password_reset_completed
from trusts.tasks import send_password_reset


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    error_messages = {
        "invalid_login": "Enter a correct email address and password. Both are case-sensitive.",
        "inactive": "This account is inactive.",
    }

    def clean_username(self) -> str:
        # Addresses are stored in lower case; people type them in any case.
        username: str = self.cleaned_data["username"].strip().lower()
        return username


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """The address django-axes counts failures against: normalised as the sign-in form does, so
    that typing it in capitals does not give an attacker five more tries."""
    raw = (credentials or {}).get("username") or getattr(request, "POST", {}).get("username")
    return str(raw).strip().lower()[:254] if raw else None


class NHSPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(label="Email address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def save(self, *args: Any, **kwargs: Any) -> None:
        # No lookup and no sending here: the same work for every address (trusts/services/password_reset.py).
        send_password_reset.delay_on_commit(email=self.cleaned_data["email"])


class NHSSetPasswordForm(SetPasswordForm):  # type: ignore[type-arg]  # not subscriptable at run time
    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        password_reset_completed(user=user)
        return user
