"""NHS.UK buttons for layouts and for ``helper.add_input``."""

from __future__ import annotations

from typing import Any

from crispy_forms import layout as crispy_layout
from crispy_forms.utils import flatatt

# The variants nhsuk-frontend 10 styles (nhsuk-button--<variant>); None is the green primary.
VARIANTS: tuple[str, ...] = ("secondary", "secondary-solid", "reverse", "warning", "login", "brand")


class Button(crispy_layout.BaseInput):
    """``<button class="nhsuk-button ...">``, or an ``<a>`` styled as a button when given ``href``.

    Like crispy's inputs the first two arguments are ``name`` and the text; a falsy name
    leaves the ``name`` attribute off, as nhsuk-frontend does. ``value`` sets the
    submitted value when one form has several submit buttons.

        Button.primary("save", "Save and continue")
        Button.warning("delete", "Delete return")
        Button.link("Cancel", href="/returns/", variant="secondary")
    """

    template = "%s/layout/button.html"
    input_type = "button"
    # Lets nhsuk/layout/inputs.html tell our buttons from crispy's bootstrap-flavoured ones.
    nhsuk = True

    def __init__(
        self,
        name: str | None,
        text: str,
        *,
        variant: str | None = None,
        small: bool = False,
        value: str | None = None,
        href: str | None = None,
        disabled: bool = False,
        prevent_double_click: bool | None = None,
        input_type: str | None = None,
        css_id: str | None = None,
        css_class: str | None = None,
        template: str | None = None,
        **attrs: Any,
    ) -> None:
        if variant is not None and variant not in VARIANTS:
            raise ValueError(f"Unexpected button variant {variant!r}; use one of {VARIANTS}")
        self.name = name or ""
        self.value = text
        self.button_value = value
        self.href = href
        self.disabled = disabled
        self.prevent_double_click = prevent_double_click
        if input_type:
            self.input_type = input_type
        # crispy's BaseInput invents an id ("submit-id-save"); nhsuk-frontend adds one only on request.
        self.id = css_id or ""
        classes = ["nhsuk-button"]
        if variant:
            classes.append(f"nhsuk-button--{variant}")
        if small:
            classes.append("nhsuk-button--small")
        if css_class:
            classes.append(css_class)
        self.field_classes = " ".join(classes)
        self.attrs = {}
        self.template = template or self.template
        self.flat_attrs = flatatt(attrs)

    @classmethod
    def primary(cls, name: str | None, text: str, **kwargs: Any) -> Button:
        return cls(name, text, input_type="submit", **kwargs)

    @classmethod
    def secondary(cls, name: str | None, text: str, **kwargs: Any) -> Button:
        return cls(name, text, variant="secondary", input_type="submit", **kwargs)

    @classmethod
    def warning(cls, name: str | None, text: str, **kwargs: Any) -> Button:
        return cls(name, text, variant="warning", input_type="submit", **kwargs)

    @classmethod
    def reverse(cls, name: str | None, text: str, **kwargs: Any) -> Button:
        return cls(name, text, variant="reverse", input_type="submit", **kwargs)

    @classmethod
    def link(cls, text: str, href: str, **kwargs: Any) -> Button:
        return cls(None, text, href=href, **kwargs)


class Submit(Button):
    """A submit button: ``Submit("save", "Save and continue", variant="secondary")``."""

    input_type = "submit"
