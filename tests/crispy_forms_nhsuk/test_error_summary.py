"""The error summary tag, its links (including date part ids) and the title prefix tag."""

from __future__ import annotations

from django import forms

from crispy_forms_nhsuk.fields import DateInputField
from tests.crispy_forms_nhsuk.helpers import render_template
from tests.crispy_forms_nhsuk.html_normaliser import Element, find, parse


class ReturnForm(forms.Form):
    staff_absent = forms.IntegerField(
        label="Staff absent", error_messages={"required": "Enter the number of staff absent"}
    )
    strike_day = DateInputField(label="Strike day", subject="Strike day")
    site = forms.ChoiceField(choices=[("a", "Site A")], widget=forms.RadioSelect)


def _links(html: str) -> list[tuple[str | None, str]]:
    summary_list = find(parse(html), "ul", "nhsuk-error-summary__list")
    result = []
    for li in summary_list.children:
        assert isinstance(li, Element)
        link = next((c for c in li.children if isinstance(c, Element) and c.tag == "a"), None)
        text = " ".join(str(c) for c in (link or li).children)
        result.append((link.attr("href") if link else None, text))
    return result


def test_links_go_to_each_field_and_to_the_first_date_part_with_an_error() -> None:
    form = ReturnForm(data={"strike_day-day": "3", "strike_day-year": "2024", "site": "zzz"})
    html = render_template("{% error_summary form %}", form=form)
    assert _links(html) == [
        ("#id_staff_absent", "Enter the number of staff absent"),
        ("#id_strike_day-month", "Strike day must include a month"),
        ("#id_site", "Select a valid choice. zzz is not one of the available choices."),
    ]


def test_date_links_follow_the_part_at_fault() -> None:
    cases = {
        ("", "", "2024"): "#id_strike_day-day",
        ("3", "", ""): "#id_strike_day-month",
        ("3", "7", "24"): "#id_strike_day-year",
        ("3", "13", "2024"): "#id_strike_day-month",
    }
    for (day, month, year), href in cases.items():
        form = ReturnForm(data={"strike_day-day": day, "strike_day-month": month, "strike_day-year": year})
        links = dict(_links(render_template("{% error_summary form %}", form=form)))
        assert href in links, (day, month, year, links)


def test_summary_is_focus_managed_by_nhsuk_javascript() -> None:
    html = render_template("{% error_summary form %}", form=ReturnForm(data={}))
    summary = find(parse(html), "div", "nhsuk-error-summary")
    assert summary.attr("data-module") == "nhsuk-error-summary"
    assert find(summary, "div").attr("role") == "alert"
    assert "There is a problem" in html


def test_several_forms_and_formsets_share_one_summary() -> None:
    class NoteForm(forms.Form):
        note = forms.CharField(error_messages={"required": "Enter a note"})

    formset = forms.formset_factory(NoteForm, extra=0)(
        data={"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-note": ""}
    )
    html = render_template("{% error_summary form notes %}", form=ReturnForm(data={}), notes=formset)
    assert ("#id_form-0-note", "Enter a note") in _links(html)
    assert len(_links(html)) == 4


def test_error_text_is_escaped() -> None:
    form = ReturnForm(data={"site": "<script>alert(1)</script>"})
    html = render_template("{% error_summary form %}", form=form)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_title_prefix() -> None:
    assert render_template("{% error_title_prefix return_form %}", return_form=ReturnForm()) == ""
    assert render_template("{% error_title_prefix return_form %}", return_form=ReturnForm(data={})) == "Error: "
    assert render_template("{% error_title_prefix a b %}", a=ReturnForm(), b=ReturnForm(data={})) == "Error: "
