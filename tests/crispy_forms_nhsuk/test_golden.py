"""Golden files for markup nhsuk-frontend has no fixture for (UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

from django import forms

from crispy_forms_nhsuk.fields import DateInputField
from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Field, Fieldset, Layout, Submit
from tests.crispy_forms_nhsuk.helpers import assert_matches_golden, render_layout


class ConfirmForm(forms.Form):
    confirmed = forms.BooleanField(
        label="I confirm these figures are correct",
        help_text="You can change them until 5pm",
        error_messages={"required": "Confirm the figures are correct"},
    )


def test_single_checkbox_initial() -> None:
    assert_matches_golden(render_layout(ConfirmForm(), Field.checkbox("confirmed")), "checkbox_initial.html")


def test_single_checkbox_error() -> None:
    assert_matches_golden(render_layout(ConfirmForm(data={}), Field.checkbox("confirmed")), "checkbox_error.html")


class StrikeDayForm(forms.Form):
    strike_day = DateInputField(label="Strike day", subject="Strike day")


def test_date_input_invalid_month_highlights_only_the_month() -> None:
    form = StrikeDayForm(data={"strike_day-day": "12", "strike_day-month": "13", "strike_day-year": "2024"})
    assert_matches_golden(render_layout(form, Field.date("strike_day")), "date_invalid_month.html")


class ReturnForm(forms.Form):
    trust_name = forms.CharField(label="Trust name")
    staff_absent = forms.IntegerField(label="Staff absent", min_value=0)
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)


def test_whole_form_with_helper_has_novalidate_csrf_and_buttons() -> None:
    helper = FormHelper()
    helper.form_action = "/returns/"
    helper.add_input(Submit("save", "Save and continue"))
    form = ReturnForm(data={"trust_name": "", "staff_absent": "-1"})
    html = render_layout(
        form,
        Fieldset(
            Field.text("trust_name"), Field.text("staff_absent", field_width=5, inputmode="numeric"), legend="Return"
        ),
        Field.textarea("notes", rows=3),
        helper=helper,
    )
    assert_matches_golden(html, "whole_form_error.html")


def test_crispy_filter_without_helper_renders_the_pack() -> None:
    from django.template import Context, Template

    html = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": ReturnForm()}))
    assert_matches_golden(html, "crispy_filter_initial.html")


def test_layout_helper_defaults_apply_label_and_legend_sizes() -> None:
    helper = FormHelper(form_tag=False, label_size="m", legend_size="l")
    helper.layout = Layout()
    html = render_layout(StrikeDayForm(), Field.date("strike_day"), helper=helper)
    assert 'class="nhsuk-fieldset__legend nhsuk-fieldset__legend--l"' in html
