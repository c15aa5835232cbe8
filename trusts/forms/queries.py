"""Forms for queries on returns (raise, answer), laid out with the nhsuk crispy pack. The rules and
their messages are the service's (trusts.services.queries); the view puts its errors back here."""

from __future__ import annotations

from typing import Any

from django import forms

from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Field, Layout, Size, Submit
from trusts.figures import FIGURE_LABELS
from trusts.models import QueryAnswer

MAX_TEXT = 1000


class QueryRaiseForm(forms.Form):
    figure = forms.ChoiceField(label="Which figure are you asking about?", widget=forms.RadioSelect,
                               error_messages={"required": "Choose the figure you are asking about",
                                               "invalid_choice": "Choose the figure you are asking about"})
    question = forms.CharField(
        label="Your question for the trust", widget=forms.Textarea, max_length=MAX_TEXT,
        help_text='For example, "Outpatient 4,300 is 10 times last round: please confirm."',
        error_messages={"required": "Enter your question for the trust",
                        "max_length": f"The question must be {MAX_TEXT:,} characters or fewer"})

    def __init__(self, *args: Any, figures: list[tuple[str, int | None]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["figure"].choices = [  # type: ignore[attr-defined]
            (name, f"{FIGURE_LABELS[name]}: {'not given' if value is None else f'{value:,}'}")
            for name, value in figures]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("figure", legend_size=Size.m),
            Field.textarea("question", max_characters=MAX_TEXT),
            Submit("raise", "Send the query to the trust"),
        )


class QueryAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label="Your answer", choices=QueryAnswer.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you confirm the figure or change it"})
    new_value = forms.CharField(label="The corrected figure (if you change it)", required=False, max_length=12)
    comment = forms.CharField(
        label="Why the figure is right, or the reason for the change", widget=forms.Textarea, max_length=MAX_TEXT,
        help_text="NHS England and the return's history will show this.",
        error_messages={"required": "Enter why the figure is right, or the reason for the change",
                        "max_length": f"The comment must be {MAX_TEXT:,} characters or fewer"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("answer", legend_size=Size.m),
            Field.text("new_value", field_width=10, inputmode="numeric"),
            Field.textarea("comment", max_characters=MAX_TEXT),
            Submit("answer_query", "Send your answer"),
        )
