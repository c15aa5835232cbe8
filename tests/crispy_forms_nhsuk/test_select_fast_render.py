"""The pack renders selects in Python (render_select) instead of one template per option: the markup
must be byte for byte Django's own, escaping included."""

from __future__ import annotations

from django import forms

from crispy_forms_nhsuk.widgets import render_select


def test_render_select_is_djangos_markup_with_groups_selection_and_escaping() -> None:
    widget = forms.Select(choices=[
        ("", "All trusts"),
        ("North <East>", [("RX1", 'Trust "A" & <b>B</b>'), ("RX2", "Trust C")]),
        ("RWE", "Leicester"),
    ])
    attrs = {"id": "id_trust", "class": "nhsuk-select", "aria-describedby": "trust-hint", "disabled": False,
             "autofocus": True}
    ours = render_select(widget, "trust", "RX1", dict(attrs))
    djangos = widget.render("trust", "RX1", dict(attrs))
    assert str(ours) == str(djangos)
    assert "&lt;b&gt;B&lt;/b&gt;" in ours and 'label="North &lt;East&gt;"' in ours
    assert '<option value="RX1" selected>' in ours and "disabled" not in ours and " autofocus" in ours
