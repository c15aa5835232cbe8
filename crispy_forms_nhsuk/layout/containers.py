"""Layout objects that group other layout objects."""

from __future__ import annotations

from typing import Any

from crispy_forms import layout as crispy_layout

from crispy_forms_nhsuk.layout.constants import Size, heading_tag


class Fieldset(crispy_layout.Fieldset):
    """An NHS.UK fieldset: a group of related fields under one legend (an address, say).

    ``legend_tag="h1"`` makes the legend the page heading, as NHS.UK does when the
    fieldset is the only question on the page. The legend is a template string, like
    crispy's own Fieldset, so it may use the context ("Return for {{ trust.name }}").
    """

    def __init__(
        self,
        *fields: Any,
        legend: str = "",
        legend_size: str | None = None,
        legend_tag: str | None = None,
        css_class: str | None = None,
        css_id: str | None = None,
        template: str | None = None,
        **attrs: Any,
    ) -> None:
        super().__init__(legend, *fields, css_class=css_class, css_id=css_id, template=template, **attrs)
        self.legend_size = Size.clean(legend_size) if legend_size else None
        self.legend_tag = heading_tag(legend_tag)


class Div(crispy_layout.Div):
    """A plain ``<div>`` wrapper (crispy's own, rendered with nhsuk/layout/div.html)."""


class Layout(crispy_layout.Layout):
    """The top-level list of layout objects (crispy's own; re-exported for one import)."""

    def __init__(self, *fields: Any) -> None:
        super().__init__(*fields)
