"""The Field layout object and its per-component constructors (Field.text, Field.radios ...)."""

from __future__ import annotations

from typing import Any

from crispy_forms import layout as crispy_layout
from crispy_forms.utils import TEMPLATE_PACK
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from crispy_forms_nhsuk.layout.constants import Size, heading_tag, width_class


def _label_context(size: str | None, tag: str | None, prefix: str) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if size:
        context[f"{prefix}_size"] = Size.clean(size)
    if tag:
        context[f"{prefix}_tag"] = heading_tag(tag)
    return context


class Field(crispy_layout.LayoutObject):
    """One or more form fields rendered with the pack's ``nhsuk/field.html``.

    The classmethods give a component-style API and validate their options up front, so
    a typo fails when the layout is built rather than producing unstyled markup::

        Field.text("postcode", field_width=10, autocomplete="postal-code")
        Field.radios("contact", legend_size=Size.m, inline=True)

    ``css_class`` and ``**attrs`` go onto the widget (underscores become hyphens);
    ``context`` holds template options (label_size, legend_tag, ...) that only apply while
    this field renders.
    """

    template = "%s/field.html"

    def __init__(
        self,
        *fields: str,
        css_class: str | None = None,
        context: dict[str, Any] | None = None,
        template: str | None = None,
        wrapper_class: str | None = None,
        **attrs: Any,
    ) -> None:
        self.fields = list(fields)
        self.attrs: dict[str, Any] = {}
        self.context: dict[str, Any] = dict(context or {})
        if css_class:
            self.add_class(css_class)
        if wrapper_class:
            self.context["wrapper_class"] = wrapper_class
        if template:
            self.template = template
        self.add_attributes(**attrs)

    def add_class(self, css_class: str) -> None:
        self.attrs["class"] = f"{self.attrs['class']} {css_class}" if "class" in self.attrs else css_class

    def add_attributes(self, **attrs: Any) -> None:
        # Escaped here because crispy copies these straight into widget.attrs.
        self.attrs.update({name.replace("_", "-"): conditional_escape(value) for name, value in attrs.items()})

    def render(
        self,
        form: Any,
        context: Any,
        template_pack: Any = TEMPLATE_PACK,
        extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SafeString:
        return self.get_rendered_fields(
            form,
            context,
            template_pack,
            template=self.get_template_name(template_pack),
            attrs=self.attrs,
            extra_context={**self.context, **(extra_context or {})},
            **kwargs,
        )

    # --- Constructors, one per NHS.UK component ------------------------------------

    @classmethod
    def text(
        cls,
        name: str,
        *,
        label_size: str | None = None,
        label_tag: str | None = None,
        field_width: int | str | None = None,
        code: bool = False,
        prefix: str | None = None,
        suffix: str | None = None,
        **attrs: Any,
    ) -> Field:
        """A text input (any Django input widget: TextInput, EmailInput, NumberInput ...).

        ``field_width``: an int (2, 3, 4, 5, 10, 20, 30 characters, ``Fixed``) or a fluid
        width string ("two-thirds", ``Fluid``). ``code=True`` uses the monospaced style for
        references like NHS numbers. ``prefix``/``suffix`` show units ("£", "kg").
        """
        classes = []
        if code:
            classes.append("nhsuk-input--code")
        if field_width is not None:
            classes.append(width_class(field_width))
        context = _label_context(label_size, label_tag, "label")
        if prefix:
            context["input_prefix"] = prefix
        if suffix:
            context["input_suffix"] = suffix
        return cls(name, css_class=" ".join(classes) or None, context=context, **attrs)

    @classmethod
    def textarea(
        cls,
        name: str,
        *,
        label_size: str | None = None,
        label_tag: str | None = None,
        rows: int | None = None,
        max_characters: int | None = None,
        max_words: int | None = None,
        threshold: int | None = None,
        **attrs: Any,
    ) -> Field:
        """A textarea; with ``max_characters`` or ``max_words`` it becomes a character count.

        The count is advice shown by JavaScript; enforce the limit in the form too
        (``max_length`` on the CharField, or a word-count validator).
        """
        if max_characters and max_words:
            raise ValueError("Give max_characters or max_words, not both")
        context = _label_context(label_size, label_tag, "label")
        if rows:
            context["rows"] = rows
        if max_characters:
            context["max_characters"] = max_characters
        if max_words:
            context["max_words"] = max_words
        if threshold:
            context["threshold"] = threshold
        return cls(name, context=context, **attrs)

    @classmethod
    def select(cls, name: str, *, label_size: str | None = None, label_tag: str | None = None, **attrs: Any) -> Field:
        """A select (drop-down). NHS.UK advises radios for fewer than about 8 options."""
        return cls(name, context=_label_context(label_size, label_tag, "label"), **attrs)

    @classmethod
    def radios(
        cls,
        name: str,
        *,
        legend_size: str | None = None,
        legend_tag: str | None = None,
        small: bool = False,
        inline: bool = False,
        hints: dict[Any, str] | None = None,
    ) -> Field:
        """Radios in a fieldset whose legend is the field's label.

        ``hints`` maps a choice value to hint text shown under that option. ``inline``
        suits two short options such as Yes/No.
        """
        context = _label_context(legend_size, legend_tag, "legend")
        context.update(small=small, inline=inline, item_hints=hints or {})
        return cls(name, context=context)

    @classmethod
    def checkboxes(
        cls,
        name: str,
        *,
        legend_size: str | None = None,
        legend_tag: str | None = None,
        small: bool = False,
        hints: dict[Any, str] | None = None,
        exclusive: Any = None,
        exclusive_divider: str = "or",
    ) -> Field:
        """Checkboxes (a CheckboxSelectMultiple field) in a fieldset.

        ``exclusive`` is the value of a "none of these" option: it gets an "or" divider
        before it and nhsuk-frontend's JavaScript unticks the others when it is ticked.
        """
        context = _label_context(legend_size, legend_tag, "legend")
        context.update(small=small, item_hints=hints or {})
        if exclusive is not None:
            context.update(exclusive=exclusive, exclusive_divider=exclusive_divider)
        return cls(name, context=context)

    @classmethod
    def checkbox(cls, name: str, *, small: bool = False) -> Field:
        """A single checkbox for a BooleanField ("I confirm ...")."""
        return cls(name, context={"small": small})

    @classmethod
    def date(
        cls,
        name: str,
        *,
        legend_size: str | None = None,
        legend_tag: str | None = None,
        autocomplete: str | None = None,
    ) -> Field:
        """A DateInputField as day, month and year boxes in a fieldset.

        ``autocomplete="bday"`` gives the parts bday-day, bday-month and bday-year.
        """
        context = _label_context(legend_size, legend_tag, "legend")
        if autocomplete:
            context["autocomplete"] = autocomplete
        return cls(name, context=context)


class Hidden(crispy_layout.Hidden):
    """A hidden input that is not a form field (crispy's own; re-exported for one import)."""
