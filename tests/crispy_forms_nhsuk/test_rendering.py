"""Escaping, ids and attributes that matter for accessibility, and layout option checks."""

from __future__ import annotations

import pytest
from django import forms

from crispy_forms_nhsuk.fields import DateInputField
from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Button, Field, Fieldset, Fixed, Fluid, Size
from tests.crispy_forms_nhsuk.helpers import render_layout
from tests.crispy_forms_nhsuk.html_normaliser import find, parse

NASTY = '"><script>alert(1)</script>'


class EverythingForm(forms.Form):
    name = forms.CharField(label="Name")
    notes = forms.CharField(label="Notes", widget=forms.Textarea, max_length=100)
    site = forms.ChoiceField(label="Site", choices=[("a", "A & <b>B</b>")], widget=forms.RadioSelect)
    day = DateInputField(label="Day")


def test_values_labels_and_errors_are_escaped() -> None:
    form = EverythingForm(data={"name": NASTY, "notes": NASTY, "site": NASTY, "day-day": NASTY})
    html = render_layout(form, "name", Field.textarea("notes", max_characters=100), "site", "day")
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") >= 4  # input, textarea, date part, choice error message
    assert "A &amp; &lt;b&gt;B&lt;/b&gt;" in html


def test_required_attribute_is_never_rendered_and_form_has_novalidate() -> None:
    helper = FormHelper()
    html = render_layout(EverythingForm(), "name", "notes", helper=helper)
    assert " required" not in html
    assert find(parse(html), "form").attr("novalidate") == ""


def test_form_tag_false_renders_only_fields() -> None:
    html = render_layout(EverythingForm(), "name")
    with pytest.raises(LookupError):
        find(parse(html), "form")


def test_character_count_lets_people_type_past_the_limit() -> None:
    html = render_layout(EverythingForm(), Field.textarea("notes", max_characters=100))
    textarea = find(parse(html), "textarea")
    assert textarea.attr("maxlength") is None
    assert textarea.attr("aria-describedby") == "id_notes-info"
    group = find(parse(html), "div", "nhsuk-character-count")
    assert group.attr("data-maxlength") == "100"
    assert "You can enter up to 100 characters" in html


def test_plain_inputs_keep_developer_attributes() -> None:
    html = render_layout(EverythingForm(), Field.text("name", autocomplete="name", spellcheck="false"))
    element = find(parse(html), "input")
    assert (element.attr("autocomplete"), element.attr("spellcheck")) == ("name", "false")


def test_wrapper_class_goes_on_the_form_group() -> None:
    html = render_layout(EverythingForm(), Field("name", wrapper_class="app-extra"))
    assert find(parse(html), "div", "nhsuk-form-group").has_class("app-extra")


def test_options_are_checked_when_the_layout_is_built() -> None:
    with pytest.raises(ValueError, match="size"):
        Field.text("name", label_size="huge")
    with pytest.raises(ValueError, match="fixed width"):
        Field.text("name", field_width=7)
    with pytest.raises(ValueError, match="fluid width"):
        Field.text("name", field_width="most")
    with pytest.raises(ValueError, match="heading tag"):
        Field.radios("site", legend_tag="p")
    with pytest.raises(ValueError, match="variant"):
        Button("go", "Go", variant="primary")
    with pytest.raises(ValueError, match="not both"):
        Field.textarea("notes", max_characters=10, max_words=10)
    with pytest.raises(ValueError, match="size"):
        Fieldset(legend="x", legend_size="xxl")


def test_constants() -> None:
    assert (Size.s, Size.m, Size.l, Size.xl) == ("s", "m", "l", "xl")
    assert Fixed.clean(Fixed.TEN) == "nhsuk-input--width-10"
    assert Fluid.clean(Fluid.TWO_THIRDS) == "nhsuk-u-width-two-thirds"


def test_error_prefix_keeps_its_space_for_screen_readers() -> None:
    # The normaliser ignores edge whitespace, so check nhsuk-frontend's exact text here.
    html = render_layout(EverythingForm(data={}), "name")
    assert '<span class="nhsuk-u-visually-hidden">Error: </span>This field is required.' in html
