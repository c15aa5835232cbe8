"""The FormHelper to use with the nhsuk template pack."""

from __future__ import annotations

from typing import Any

from crispy_forms import helper as crispy_helper
from crispy_forms.utils import TEMPLATE_PACK
from django.utils.safestring import SafeString

from crispy_forms_nhsuk.layout.constants import Size


class FormHelper(crispy_helper.FormHelper):
    """crispy's FormHelper with NHS.UK defaults.

    - The ``<form>`` always has ``novalidate`` (set in nhsuk/whole_uni_form.html, so it
      holds for forms without a helper too): the browser's own bubbles would otherwise
      pre-empt the server's NHS.UK error messages. The pack never renders ``required``.
    - ``form_show_non_field_errors`` is False: non-field errors belong in the page's
      single error summary (``{% error_summary form %}`` above the ``<h1>``).
    - ``form_tag=False`` renders only the fields, for pages that write their own
      ``<form>`` (for example to put buttons outside the layout).
    - ``label_size``/``legend_size`` set a default size for every label/legend.
    """

    form_show_non_field_errors = False

    def __init__(
        self,
        form: Any = None,
        *,
        form_tag: bool = True,
        label_size: str | None = None,
        legend_size: str | None = None,
    ) -> None:
        super().__init__(form)
        self.form_tag = form_tag
        # An instance attribute, not just the class default: crispy only passes a helper's
        # instance attributes through to the templates.
        self.form_show_non_field_errors = False
        self.label_size = Size.clean(label_size) if label_size else None
        self.legend_size = Size.clean(legend_size) if legend_size else None

    def render_layout(self, form: Any, context: Any, template_pack: Any = TEMPLATE_PACK) -> SafeString:
        if self.label_size:
            context["label_size"] = self.label_size
        if self.legend_size:
            context["legend_size"] = self.legend_size
        return super().render_layout(form, context, template_pack=template_pack)
