"""The pack's markup against the rendered fixtures nhsuk-frontend ships (fixtures.json).

Each test builds the Django form and layout that correspond to one fixture's context,
renders it through the pack and compares it, normalised, with the fixture's HTML. Every
component has its initial state and its error state checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from crispy_forms_nhsuk.fields import DateInputField
from crispy_forms_nhsuk.layout import Button, Field, Fieldset, Size, Submit
from tests.crispy_forms_nhsuk.helpers import (
    assert_same_markup,
    nhsuk_fixture,
    render_layout,
    render_template,
)
from tests.crispy_forms_nhsuk.html_normaliser import find, normalise, parse, pretty, replace_attr, without_attrs

NHS_NUMBER_HINT = (
    'This is a 10 digit number (like <span class="nhsuk-u-nowrap">999 123 4567</span>) '
    "that you can find on an NHS letter, prescription or in the NHS App"
)


def _choices(fixture: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["value"], item["text"]) for item in fixture["context"]["items"]]


def _form(fields: dict[str, forms.Field], data: dict[str, Any] | None = None) -> forms.Form:
    # auto_id="%s" makes ids equal names, as in fixtures that give only a name.
    form_class = type("FixtureForm", (forms.Form,), dict(fields))
    return form_class(data=data, auto_id="%s")


# --- input, label, hint, error message ---------------------------------------------------


def _nhs_number_form(widget_id: str, *, bound: bool) -> forms.Form:
    field = forms.CharField(
        label="What is your NHS number?",
        help_text=NHS_NUMBER_HINT,
        error_messages={"required": "Enter NHS number"},
        widget=forms.TextInput(attrs={"id": widget_id}),
    )
    return _form({"example": field}, data={} if bound else None)


def _nhs_number_layout() -> Field:
    return Field.text(
        "example", label_size=Size.l, label_tag="h1", field_width=10, code=True, spellcheck="false", inputmode="numeric"
    )


def test_input_initial_matches_fixture() -> None:
    html = render_layout(_nhs_number_form("with-hint", bound=False), _nhs_number_layout())
    assert_same_markup(html, nhsuk_fixture("input", "with hint")["html"])


def test_input_error_matches_fixture() -> None:
    html = render_layout(_nhs_number_form("with-hint-error", bound=True), _nhs_number_layout())
    assert_same_markup(html, nhsuk_fixture("input", "with error message and hint")["html"])


def test_input_without_heading_error_matches_fixture() -> None:
    form = _nhs_number_form("with-hint-error", bound=True)
    html = render_layout(
        form, Field.text("example", field_width=10, code=True, spellcheck="false", inputmode="numeric")
    )
    assert_same_markup(html, nhsuk_fixture("input", "with error message and hint, without heading")["html"])


@pytest.mark.parametrize("width", [2, 3, 4, 5, 10, 20, 30])
def test_input_widths_match_fixtures(width: int) -> None:
    form = _form(
        {"example": forms.CharField(label=f"{width} character width", widget=forms.TextInput({"id": "input-width"}))}
    )
    html = render_layout(form, Field.text("example", field_width=width))
    expected = nhsuk_fixture("input", "width", label__text=f"{width} character width")["html"]
    assert_same_markup(html, expected)


def test_input_fluid_width_matches_fixture() -> None:
    form = _form({"address-town": forms.CharField(label="Town or city")})
    html = render_layout(form, Field.text("address-town", field_width="two-thirds", autocomplete="address-level2"))
    assert_same_markup(html, nhsuk_fixture("input", "example address town or city")["html"])


def test_input_prefix_and_suffix_error_matches_fixture() -> None:
    field = forms.CharField(
        label="Cost per item, in pounds",
        error_messages={"required": "Enter a cost per item, in pounds"},
        widget=forms.TextInput({"id": "with-prefix-suffix"}),
    )
    html = render_layout(
        _form({"example": field}, data={}),
        Field.text("example", label_tag="h1", field_width=5, prefix="£", suffix="per item"),
    )
    assert_same_markup(html, nhsuk_fixture("input", "with prefix and suffix and error message")["html"])


def test_label_hint_and_error_message_match_their_own_fixtures() -> None:
    """The label, hint and error-message components inside a field are the shipped ones.

    Their standalone fixtures have no id/for, which only make sense inside a field.
    """
    tree = parse(render_layout(_nhs_number_form("with-hint-error", bound=True), _nhs_number_layout()))
    label = without_attrs(find(tree, "h1", "nhsuk-label-wrapper"), "for")
    assert pretty(label) == normalise(nhsuk_fixture("label", "with heading level 1")["html"]).replace(
        "What is your full name?", "What is your NHS number?"
    )
    hint = without_attrs(find(tree, "div", "nhsuk-hint"), "id")
    assert pretty(hint) == normalise(nhsuk_fixture("hint", "with HTML")["html"])
    error = without_attrs(find(tree, "span", "nhsuk-error-message"), "id")
    assert pretty(error) == normalise(nhsuk_fixture("error-message", "default")["html"]).replace(
        "Enter your full name", "Enter NHS number"
    )


# --- textarea and character count --------------------------------------------------------

DETAIL_HINT = "Do not include personal information like your name, date of birth or NHS number"


def _detail_form(widget_id: str, *, bound: bool) -> forms.Form:
    field = forms.CharField(
        label="Can you provide more detail?",
        help_text=DETAIL_HINT,
        error_messages={"required": "You must provide an explanation"},
        widget=forms.Textarea({"id": widget_id}),
    )
    return _form({"example": field}, data={} if bound else None)


def test_textarea_initial_matches_fixture() -> None:
    html = render_layout(_detail_form("without-heading", bound=False), Field.textarea("example"))
    assert_same_markup(html, nhsuk_fixture("textarea", "without heading")["html"])


def test_textarea_error_matches_fixture() -> None:
    html = render_layout(
        _detail_form("with-hint-error", bound=True), Field.textarea("example", label_size="l", label_tag="h1")
    )
    assert_same_markup(html, nhsuk_fixture("textarea", "with error message and hint")["html"])


def _job_description_form(fixture: dict[str, Any], *, max_length: int, bound: bool) -> forms.Form:
    context = fixture["context"]
    field = forms.CharField(
        label=context["label"].get("heading") or context["label"].get("text"),
        help_text=(context.get("hint") or {}).get("text", ""),
        max_length=max_length,
        error_messages={"max_length": (context.get("errorMessage") or {}).get("text", "")},
        widget=forms.Textarea({"id": context.get("id", "example")}),
    )
    return _form({"example": field}, data={"example": context["value"]} if bound else None)


def test_character_count_initial_matches_fixture() -> None:
    fixture = nhsuk_fixture("character-count", "default")
    form = _job_description_form(fixture, max_length=200, bound=False)
    html = render_layout(form, Field.textarea("example", label_size="l", label_tag="h1", max_characters=200))
    assert_same_markup(html, fixture["html"])


def test_character_count_error_matches_fixture() -> None:
    fixture = nhsuk_fixture("character-count", "with error message and hint")
    form = _job_description_form(fixture, max_length=350, bound=True)
    html = render_layout(form, Field.textarea("example", label_size="l", label_tag="h1", max_characters=350))
    assert_same_markup(html, fixture["html"])


def test_character_count_words_matches_fixture() -> None:
    fixture = nhsuk_fixture("character-count", "with maxwords")
    form = _job_description_form(fixture, max_length=2000, bound=False)
    html = render_layout(form, Field.textarea("example", label_size="l", label_tag="h1", max_words=150))
    assert_same_markup(html, fixture["html"])


def test_character_count_threshold_matches_fixture() -> None:
    fixture = nhsuk_fixture("character-count", "with threshold")
    form = _job_description_form(fixture, max_length=112, bound=True)
    html = render_layout(
        form, Field.textarea("example", label_size="l", label_tag="h1", max_characters=112, threshold=75)
    )
    assert_same_markup(html, fixture["html"])


# --- select ------------------------------------------------------------------------------


def _location_form(fixture: dict[str, Any], *, bound: bool) -> forms.Form:
    field = forms.ChoiceField(
        label="Choose location",
        help_text="This can be different to where you went before",
        choices=_choices(fixture),
        error_messages={"required": "Select a location"},
        widget=forms.Select({"id": fixture["context"]["id"]}),
    )
    return _form({"example": field}, data={} if bound else None)


def test_select_initial_matches_fixture() -> None:
    fixture = nhsuk_fixture("select", "with hint")
    html = render_layout(_location_form(fixture, bound=False), Field.select("example", label_size="l", label_tag="h1"))
    assert_same_markup(html, fixture["html"])


def test_select_error_matches_fixture() -> None:
    fixture = nhsuk_fixture("select", "with error message and hint")
    html = render_layout(_location_form(fixture, bound=True), Field.select("example", label_size="l", label_tag="h1"))
    assert_same_markup(html, fixture["html"])


# --- radios and checkboxes ---------------------------------------------------------------


def _choice_form(fixture: dict[str, Any], widget: type[forms.Widget], *, bound: bool, hint: str = "") -> forms.Form:
    context = fixture["context"]
    legend = context["fieldset"]["legend"]
    field_class = forms.MultipleChoiceField if widget is forms.CheckboxSelectMultiple else forms.ChoiceField
    field = field_class(
        label=legend.get("heading") or legend.get("text"),
        help_text=hint or (context.get("hint") or {}).get("text", ""),
        choices=_choices(fixture),
        error_messages={"required": (context.get("errorMessage") or {}).get("text", "")},
        widget=widget({"id": context.get("idPrefix") or context["name"]}),
    )
    return _form({context["name"]: field}, data={} if bound else None)


def test_radios_initial_matches_fixture() -> None:
    fixture = nhsuk_fixture("radios", "with hint", fieldset__legend__size="l")
    html = render_layout(
        _choice_form(fixture, forms.RadioSelect, bound=False), Field.radios("example", legend_size="l", legend_tag="h1")
    )
    assert_same_markup(html, fixture["html"])


def test_radios_error_matches_fixture() -> None:
    fixture = nhsuk_fixture("radios", "with error message and hint", fieldset__legend__size="l")
    html = render_layout(
        _choice_form(fixture, forms.RadioSelect, bound=True), Field.radios("example", legend_size="l", legend_tag="h1")
    )
    assert_same_markup(html, fixture["html"])


def test_radios_small_error_without_heading_matches_fixture() -> None:
    fixture = nhsuk_fixture("radios", "with error message, without heading", small=True)
    html = render_layout(_choice_form(fixture, forms.RadioSelect, bound=True), Field.radios("example", small=True))
    assert_same_markup(html, fixture["html"])


def test_radios_inline_matches_fixture() -> None:
    fixture = nhsuk_fixture("radios", "inline", fieldset__legend__size="l")
    html = render_layout(
        _choice_form(fixture, forms.RadioSelect, bound=False),
        Field.radios("example", legend_size="l", legend_tag="h1", inline=True),
    )
    assert_same_markup(html, fixture["html"])


def test_radios_item_hints_match_fixture() -> None:
    fixture = nhsuk_fixture("radios", "with hints on items", fieldset__legend__size="l")
    hints = {item["value"]: item["hint"]["text"] for item in fixture["context"]["items"]}
    html = render_layout(
        _choice_form(fixture, forms.RadioSelect, bound=False),
        Field.radios("example", legend_size="l", legend_tag="h1", hints=hints),
    )
    assert_same_markup(html, fixture["html"])


def test_checkboxes_initial_matches_fixture() -> None:
    fixture = nhsuk_fixture("checkboxes", "default", fieldset__legend__size="l")
    html = render_layout(
        _choice_form(fixture, forms.CheckboxSelectMultiple, bound=False),
        Field.checkboxes("example", legend_size="l", legend_tag="h1"),
    )
    assert_same_markup(html, fixture["html"])


def test_checkboxes_error_matches_fixture() -> None:
    fixture = nhsuk_fixture("checkboxes", "with error message and hint", fieldset__legend__size="l")
    html = render_layout(
        _choice_form(fixture, forms.CheckboxSelectMultiple, bound=True),
        Field.checkboxes("example", legend_size="l", legend_tag="h1"),
    )
    assert_same_markup(html, fixture["html"])


def test_checkboxes_none_option_matches_fixture() -> None:
    fixture = nhsuk_fixture("checkboxes", 'with "none" option', fieldset__legend__size="l")
    items = [item for item in fixture["context"]["items"] if "value" in item]
    fixture = {**fixture, "context": {**fixture["context"], "items": items}}
    html = render_layout(
        _choice_form(fixture, forms.CheckboxSelectMultiple, bound=False),
        Field.checkboxes("example", legend_size="l", legend_tag="h1", exclusive="none"),
    )
    assert_same_markup(html, fixture["html"])


# --- date input --------------------------------------------------------------------------


def _date_form(data: dict[str, str] | None, **field_kwargs: Any) -> forms.Form:
    field = DateInputField(label="What is your date of birth?", help_text="For example, 31 3 1980", **field_kwargs)
    return _form({"example": field}, data=data)


def _date_fixture_html(name: str) -> str:
    """nhsuk-frontend names the parts "day", "month", "year"; we prefix the field name."""
    tree = parse(nhsuk_fixture("date-input", name)["html"])
    for part in ("day", "month", "year"):
        tree = replace_attr(tree, "name", part, f"example-{part}")
    return pretty(tree)


def test_date_input_initial_matches_fixture() -> None:
    html = render_layout(_date_form(None), Field.date("example", legend_size="l", legend_tag="h1"))
    assert normalise(html) == _date_fixture_html("default")


def test_date_input_error_matches_fixture() -> None:
    form = _date_form({}, error_messages={"required": "Enter your date of birth"})
    html = render_layout(form, Field.date("example", legend_size="l", legend_tag="h1"))
    assert normalise(html) == _date_fixture_html("with error message and hint")


def test_date_input_error_on_one_part_matches_fixture() -> None:
    form = _date_form({"example-day": "", "example-month": "3", "example-year": "1980"}, subject="Date of birth")
    html = render_layout(form, Field.date("example", legend_size="l", legend_tag="h1"))
    assert normalise(html) == _date_fixture_html("with error on day input")


def test_date_input_values_and_autocomplete_match_fixtures() -> None:
    form = _date_form({"example-day": "5", "example-month": "8", "example-year": "2024"})
    html = render_layout(form, Field.date("example", legend_size="l", legend_tag="h1"))
    assert normalise(html) == _date_fixture_html("with values")
    html = render_layout(_date_form(None), Field.date("example", legend_size="l", legend_tag="h1", autocomplete="bday"))
    assert normalise(html) == _date_fixture_html("with autocomplete values")


# --- fieldset and legend -----------------------------------------------------------------


def test_fieldset_matches_fixtures() -> None:
    form = _form({})
    html = render_layout(form, Fieldset(legend="What is your address?", legend_size="l", legend_tag="h1"))
    assert_same_markup(html, nhsuk_fixture("fieldset", "default")["html"])
    html = render_layout(form, Fieldset(legend="What is your address?"))
    assert_same_markup(html, nhsuk_fixture("fieldset", "without legend heading")["html"])


def test_fieldset_with_fields_matches_fixture() -> None:
    form = _form(
        {
            "address-line1": forms.CharField(label="Address line 1"),
            "address-line2": forms.CharField(label="Address line 2 (optional)", required=False),
            "address-town": forms.CharField(label="Town or city"),
            "address-postcode": forms.CharField(label="Postcode"),
        }
    )
    html = render_layout(
        form,
        Fieldset(
            Field.text("address-line1", autocomplete="address-line1"),
            Field.text("address-line2", autocomplete="address-line2"),
            Field.text("address-town", field_width="two-thirds", autocomplete="address-level2"),
            Field.text("address-postcode", field_width=10, autocomplete="postal-code"),
            legend='<span class="nhsuk-caption-l">About you</span> What is your address?',
            legend_size="l",
            legend_tag="h1",
        ),
    )
    assert_same_markup(html, nhsuk_fixture("fieldset", "with HTML")["html"])


def test_legend_matches_fixture() -> None:
    html = render_layout(_form({}), Fieldset(legend="What is your address?", legend_size="l", legend_tag="h1"))
    legend = find(parse(html), "legend")
    assert pretty(legend) == normalise(nhsuk_fixture("legend", "default")["html"])


# --- buttons -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture_name", "button"),
    [
        ("default", Submit(None, "Save and continue")),
        ("default, small", Submit(None, "Save and continue", small=True)),
        ("secondary", Button.secondary(None, "Find my location")),
        ("secondary, solid background", Submit(None, "Find my location", variant="secondary-solid")),
        ("warning", Button.warning(None, "Yes, delete this vaccine")),
        ("reverse", Button.reverse(None, "Log out")),
        ("login", Submit(None, "Continue", variant="login")),
        ("disabled", Submit(None, "Disabled button", disabled=True)),
        ("with double click prevented", Submit(None, "Save and continue", prevent_double_click=True)),
        ("as a link", Button.link("Link button", href="#")),
        ("warning as a link", Button.link("Yes, delete this vaccine", href="#", variant="warning")),
    ],
)
def test_buttons_match_fixtures(fixture_name: str, button: Button) -> None:
    assert_same_markup(render_layout(_form({}), button), nhsuk_fixture("button", fixture_name)["html"])


# --- error summary -----------------------------------------------------------------------


def test_error_summary_is_empty_without_errors() -> None:
    assert render_template("{% error_summary form %}", form=_date_form(None)).strip() == ""
    valid = _date_form({"example-day": "5", "example-month": "8", "example-year": "2024"})
    assert render_template("{% error_summary form %}", form=valid).strip() == ""


def test_error_summary_matches_fixture_for_a_date_error() -> None:
    class BirthForm(forms.Form):
        example = DateInputField(label="Date of birth")

        def clean_example(self) -> Any:
            raise forms.ValidationError("Date of birth must be in the past")

    form = BirthForm(data={"example-day": "1", "example-month": "1", "example-year": "2999"}, auto_id="%s")
    html = render_template("{% error_summary form %}", form=form)
    assert_same_markup(html, nhsuk_fixture("error-summary", "default")["html"])


def test_error_summary_matches_fixture_for_several_fields() -> None:
    form = _form(
        {
            "example-first-name": forms.CharField(error_messages={"required": "Enter your first name"}),
            "example-last-name": forms.CharField(error_messages={"required": "Enter your last name"}),
        },
        data={},
    )
    html = render_template("{% error_summary form %}", form=form)
    assert_same_markup(html, nhsuk_fixture("error-summary", "with multiple errors")["html"])


def test_error_summary_lists_non_field_errors_without_a_link() -> None:
    class SignInForm(forms.Form):
        username = forms.CharField(required=False)
        terms = forms.BooleanField(
            widget=forms.CheckboxInput({"id": "example-terms-of-service"}),
            error_messages={"required": "Agree to the terms of service to log in"},
        )

        def clean(self) -> Any:
            raise forms.ValidationError("Invalid username or password")

    html = render_template("{% error_summary form %}", form=SignInForm(data={}))
    assert_same_markup(html, nhsuk_fixture("error-summary", "without error link (mixed)")["html"])
