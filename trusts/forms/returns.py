"""Forms for daily returns, laid out with the nhsuk crispy pack.

The form only collects text; the rules (and their messages) are the service's
(trusts.services.returns.return_check), which `ReturnForm.apply_check` puts back on the fields,
so the web form, the upload and the command can never disagree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import HTML, Field, Fieldset, Layout, Size
from trusts.dates import formatted
from trusts.figures import FIGURE, FIGURE_LABELS, PLANNED_FIELDS, RESCHEDULED_FIELDS, WORKFORCE_FIELDS
from trusts.services.returns import ReturnCheck

MAX_TEXT = 1000


def _count_field(name: str) -> forms.CharField:
    label = FIGURE_LABELS[name] + (" (optional)" if name in PLANNED_FIELDS else "")
    return forms.CharField(label=label, required=False, max_length=12, help_text=FIGURE[name].help_text,
                           error_messages={"max_length": f"{FIGURE_LABELS[name]} must be 1,000,000 or fewer"})


class ReturnForm(forms.Form):
    """One trust's return for one strike day. `affected` drops the workforce fieldset for trusts the
    action does not affect; `revising` asks for a reason (required after `deadline`)."""

    nil = forms.BooleanField(
        label="No impact: confirm a nil return", required=False,
        help_text="Tick this if the action rescheduled nothing at your trust that day (every rescheduled "
                  "figure is 0). This is different from not sending a return.")
    warning_comment = forms.CharField(
        label="Why are these figures right?", required=False, widget=forms.Textarea, max_length=MAX_TEXT,
        error_messages={"max_length": f"The comment must be {MAX_TEXT:,} characters or fewer"})
    reason = forms.CharField(
        label="Reason for the change", required=False, widget=forms.Textarea, max_length=MAX_TEXT,
        error_messages={"max_length": f"The reason must be {MAX_TEXT:,} characters or fewer"})
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, affected: bool, revising: bool, deadline: dt.datetime,
                 now: dt.datetime, show_comment: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.affected, self.revising, self.deadline, self.now = affected, revising, deadline, now
        names = (WORKFORCE_FIELDS if affected else ()) + RESCHEDULED_FIELDS + PLANNED_FIELDS
        for name in names:
            self.fields[name] = _count_field(name)
        self.order_fields(["nil", *names, "warning_comment", "reason", "version"])
        self.reason_required = revising and now > deadline
        if revising:
            self.fields["reason"].help_text = (
                f"Required: the deadline for this return was {formatted(deadline, 'moment')}." if self.reason_required
                else "Optional before the deadline. Say why the figures changed, for example "
                     "\"late shift counted\".")
        else:
            del self.fields["reason"]
        self.show_comment = show_comment or bool(self.data.get(self.add_prefix("warning_comment")))
        self.fields["warning_comment"].help_text = (
            "Some figures look unusual for your trust. Check them; if they are right, say why.")
        self.helper = FormHelper(form_tag=False)
        self._layout()

    def _layout(self) -> None:
        affected = self.affected
        parts: list[Any] = []
        if affected:
            parts.append(Fieldset(*(Field.text(n, field_width=10, inputmode="numeric", spellcheck="false")
                                    for n in WORKFORCE_FIELDS),
                                  legend="Workforce", legend_size=Size.m))
        parts.append(Fieldset(
            Field.checkbox("nil"),
            *(Field.text(n, field_width=10, inputmode="numeric", spellcheck="false") for n in RESCHEDULED_FIELDS),
            legend="Rescheduled activity", legend_size=Size.m))
        parts.append(Fieldset(
            HTML('<p class="nhsuk-body">These give the share of planned care that went ahead.</p>'),
            *(Field.text(n, field_width=10, inputmode="numeric", spellcheck="false") for n in PLANNED_FIELDS),
            legend="Planned activity (optional)", legend_size=Size.m))
        if self.show_comment:
            parts.append(Field.textarea("warning_comment", max_characters=MAX_TEXT))
        if self.revising:
            parts.append(Field.textarea("reason", max_characters=MAX_TEXT))
        parts.append("version")
        self.helper.layout = Layout(*parts)

    def figures(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in (*WORKFORCE_FIELDS, *RESCHEDULED_FIELDS,
                                                                     *PLANNED_FIELDS) if name in self.fields}

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("nil"):
            entered = [n for n in RESCHEDULED_FIELDS if (cleaned.get(n) or "").strip() not in ("", "0")]
            if entered:
                self.add_error("nil", "You said there was no impact, but entered rescheduled figures. Remove them, "
                                      "or untick \"No impact\"")
        if self.reason_required and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", f"Enter a reason for the change: the deadline for this return was "
                                     f"{formatted(self.deadline, 'moment')}")
        return cleaned

    def apply_check(self, check: ReturnCheck, *, need_comment: bool) -> None:
        """Put the service's errors on the fields; a warning without a comment is an error too."""
        for name, message in check.errors.items():
            self.add_error(name if name in self.fields else None, message)
        if check.warnings and not self.show_comment:
            self.show_comment = True
            self._layout()
        if need_comment and check.warnings and not (self.cleaned_data.get("warning_comment") or "").strip():
            self.add_error("warning_comment", "Enter a comment to say why the unusual figures are right")


class ReturnsUploadForm(forms.Form):
    file = forms.FileField(
        label="Upload a file", help_text="A CSV (.csv) or Excel (.xlsx) file in the layout of the template, "
                                         "up to 20 MB.",
        error_messages={"required": "Select a CSV or Excel file", "empty": "The selected file is empty"})
    reason = forms.CharField(
        label="Reason for any changes (optional)", required=False, widget=forms.Textarea, max_length=MAX_TEXT,
        help_text="Needed if the file changes returns whose deadline has passed.",
        error_messages={"max_length": f"The reason must be {MAX_TEXT:,} characters or fewer"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(form_tag=False)
        self.helper.layout = Layout(Field("file"), Field.textarea("reason", max_characters=MAX_TEXT))

    def clean_file(self) -> Any:
        from trusts.tabular import MAX_UPLOAD_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 20 MB")
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("The selected file must be a CSV or an Excel (.xlsx) file")
        return upload
