"""Forms for public notices and email subscriptions, laid out with the nhsuk crispy pack."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import HTML, Field, Layout, Size, Submit
from notices.models import Notice, NoticeStatus
from notices.placeholders import TRUST_PLACEHOLDERS
from notices.services.notices import NoticeError, check_placeholders
from strikeops.errors import show_on_form
from trusts.models import IndustrialAction, Region, Trust
from trusts.text import PublicTextField

TITLE_MAX = 200
BODY_MAX = 5000
WHAT_TO_DO_MAX = 2000
NOTE_MAX = 500

PLACEHOLDER_HINT = "You can use " + ", ".join(f"(({name}))" for name in TRUST_PLACEHOLDERS) + \
    ". They are filled in with your trust's figures when you publish."


def actions_for_trust(trust: Trust) -> Any:
    """Actions that affect the trust (an action with no affected trusts affects all of them)."""
    return (IndustrialAction.objects.filter(Q(affected_trusts=trust) | Q(affected_trusts__isnull=True))
            .distinct().order_by("-first_day"))


class NoticeForm(forms.Form):
    action = forms.ModelChoiceField(
        label="Industrial action", queryset=IndustrialAction.objects.none(), required=False, to_field_name="slug",
        empty_label="Not about one industrial action",
        help_text="The figures in the notice come from your trust's returns for this action.",
    )
    title = PublicTextField(label="Title", max_length=TITLE_MAX, error_messages={
        "required": "Enter a title", "max_length": f"Title must be {TITLE_MAX} characters or fewer"})
    body = PublicTextField(label="Notice", widget=forms.Textarea, max_length=BODY_MAX, help_text=PLACEHOLDER_HINT,
                           error_messages={"required": "Enter the text of the notice",
                                           "max_length": f"Notice must be {BODY_MAX} characters or fewer"})
    what_to_do = PublicTextField(
        label="What patients should do", widget=forms.Textarea, max_length=WHAT_TO_DO_MAX,
        error_messages={"required": "Enter what patients should do",
                        "max_length": f"What patients should do must be {WHAT_TO_DO_MAX} characters or fewer"})
    change_note = PublicTextField(
        label="Change note", widget=forms.Textarea, max_length=NOTE_MAX, required=False,
        help_text="Shown on the notice as the reason for the update, and emailed to subscribers.",
        error_messages={"max_length": f"Change note must be {NOTE_MAX} characters or fewer"})

    def __init__(self, *args: Any, trust: Trust, notice: Notice | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trust = trust
        self.is_update = notice is not None and notice.status == NoticeStatus.PUBLISHED
        action = self.fields["action"]
        assert isinstance(action, forms.ModelChoiceField)
        action.queryset = actions_for_trust(trust)
        if not self.is_update:
            del self.fields["change_note"]
        else:
            self.fields["change_note"].required = True
            self.fields["change_note"].error_messages["required"] = (
                "Enter a change note saying what has changed")
        self.helper = FormHelper()
        fields = [
            Field.select("action"),
            Field.text("title", field_width="full"),
            Field.textarea("body", rows=12, max_characters=BODY_MAX),
            Field.textarea("what_to_do", rows=5, max_characters=WHAT_TO_DO_MAX),
        ]
        if self.is_update:
            fields.append(Field.textarea("change_note", rows=3, max_characters=NOTE_MAX))
        save_text = "Publish update" if self.is_update else "Save draft"
        self.helper.layout = Layout(
            *fields,
            HTML('<div class="nhsuk-button-group">'),
            Submit("preview", "Preview with your figures", variant="secondary"),
            Submit("save", save_text),
            HTML("</div>"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        texts = {name: data[name] for name in ("title", "body", "what_to_do") if data.get(name)}
        if "action" in data and texts:
            try:
                check_placeholders(action=data["action"], **texts)
            except NoticeError as exc:
                show_on_form(self, exc)
        return data


class WithdrawForm(forms.Form):
    reason = PublicTextField(
        label="Why are you withdrawing this notice?", widget=forms.Textarea, max_length=NOTE_MAX,
        help_text="This is shown on the notice page in place of the notice.",
        error_messages={"required": "Enter why you are withdrawing the notice",
                        "max_length": f"Reason must be {NOTE_MAX} characters or fewer"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.textarea("reason", label_size=Size.m, rows=4, max_characters=NOTE_MAX),
            Submit("withdraw", "Withdraw notice", variant="warning"),
        )


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": "Enter your email address",
                        "invalid": "Enter an email address in the correct format, like name@example.com",
                        "max_length": "Email address must be 254 characters or fewer"})

    def __init__(self, *args: Any, action_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action_url
        # No CSRF token: it would set a cookie on the public page (see notices.views.notices.subscribe).
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("email", field_width="two-thirds"),
            Submit("subscribe", "Subscribe"),
        )


class NoticeFilterForm(forms.Form):
    """The public list's filter: a GET form, so it works without JavaScript and results can be linked."""

    region = forms.ModelChoiceField(label="NHS England region", queryset=Region.objects.all(), required=False,
                                    to_field_name="code", empty_label="All regions",
                                    error_messages={"invalid_choice": "Select a region from the list"})
    # Codes and names only: ~500 Trust model instances (and their options) were most of the page's time.
    trust = forms.ChoiceField(label="NHS trust", required=False,
                              choices=lambda: [("", "All trusts"),
                                               *Trust.objects.order_by("name").values_list("ods_code", "name")],
                              error_messages={"invalid_choice": "Select a trust from the list"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.select("region"),
            Field.select("trust"),
            Submit(None, "Show notices", variant="secondary"),
        )
