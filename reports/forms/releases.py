"""The form that publishes a release, laid out with the nhsuk crispy pack."""

from __future__ import annotations

from typing import Any

from django import forms

from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Field, Layout, Submit


class PublishReleaseForm(forms.Form):
    """Publishing a release (reports.services.releases.release_publish): a note, and, below the
    coverage threshold, the box to publish anyway and the reason, which the release shows."""

    note = forms.CharField(
        label="Note to publish with the figures (optional)", required=False, max_length=1000, widget=forms.Textarea,
        help_text="Shown on the release, for example what changed since the last one.",
        error_messages={"max_length": "The note must be 1,000 characters or fewer"})
    allow_incomplete = forms.BooleanField(
        label="Publish although some strike days are below the coverage threshold", required=False)
    reason = forms.CharField(
        label="Why publish figures that are incomplete?", required=False, max_length=1000, widget=forms.Textarea,
        help_text="Published on the release, next to its coverage.",
        error_messages={"max_length": "The reason must be 1,000 characters or fewer"})
    signed_off_only = forms.BooleanField(
        label="Publish figures from signed-off returns only", required=False,
        help_text="Returns submitted but not yet signed off by a second person at the trust are left out, "
                  "and count as not received.")

    def __init__(self, *args: Any, below_threshold: bool, number: int, requires_sign_off: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.below_threshold = below_threshold
        self.helper = FormHelper()
        parts: list[Any] = [Field.textarea("note", max_characters=1000)]
        if requires_sign_off:
            parts.append(Field.checkbox("signed_off_only"))
        else:
            del self.fields["signed_off_only"]
        if below_threshold:
            parts += [Field.checkbox("allow_incomplete"), Field.textarea("reason", max_characters=1000)]
        else:
            del self.fields["allow_incomplete"], self.fields["reason"]
        self.helper.layout = Layout(*parts, Submit("publish", f"Publish release {number}"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.below_threshold:
            if not data.get("allow_incomplete"):
                self.add_error("allow_incomplete", "Confirm that you are publishing incomplete figures, or wait "
                                                   "for more returns")
            elif not (data.get("reason") or "").strip():
                self.add_error("reason", "Enter why you are publishing incomplete figures")
        return data
