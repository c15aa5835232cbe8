"""Template tags for the nhsuk template pack: ``{% load crispy_forms_nhsuk %}``.

- ``{% error_summary form [other_form_or_formset ...] %}``: the NHS.UK error summary.
  Put it once per page, above the ``<h1>``.
- ``{% error_title_prefix form [...] %}``: "Error: " when any of the forms has errors,
  for pages whose form is not called ``form`` (templates/base.html only looks at ``form``).
- ``{% nhsuk_field_state field as state %}``: used by the pack's own templates; works out
  ids, ``aria-describedby``, error state and the widget markup for one bound field.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.forms.formsets import BaseFormSet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from crispy_forms_nhsuk.fields import error_parts
from crispy_forms_nhsuk.widgets import DATE_PARTS, DateInputWidget, render_select

register = template.Library()

# Django's Textarea always carries these defaults, so they cannot tell us whether a
# developer chose them; nhsuk-frontend's textarea uses 5 rows and no cols.
_DJANGO_TEXTAREA_ROWS = "10"
_NHSUK_TEXTAREA_ROWS = 5


@dataclass
class ErrorLink:
    """One line of the error summary; ``href`` is None for errors not tied to a field."""

    text: str
    href: str | None


@dataclass
class Item:
    """One radio or checkbox, or a divider ("or") between them."""

    id: str = ""
    name: str = ""
    value: str = ""
    label: str = ""
    checked: bool = False
    disabled: bool = False
    hint: str = ""
    hint_id: str = ""
    described_by: str = ""
    behaviour: str = ""
    divider: str = ""


@dataclass
class DatePart:
    name: str
    id: str
    label: str
    value: str
    width: int
    has_error: bool
    autocomplete: str = ""


@dataclass
class FieldState:
    """Everything a component template needs to know about one bound field."""

    kind: str
    id: str
    # For radios and checkboxes: the BEM block ("nhsuk-radios") and the input type.
    block: str = ""
    input_type: str = ""
    error: str = ""
    has_error: bool = False
    hint_id: str = ""
    error_id: str = ""
    info_id: str = ""
    described_by: str = ""
    widget: SafeString = dataclass_field(default_factory=lambda: SafeString(""))
    items: list[Item] = dataclass_field(default_factory=list)
    parts: list[DatePart] = dataclass_field(default_factory=list)
    checked: bool = False
    count_type: str = ""
    count_limit: int | None = None


def field_kind(bound_field: BoundField) -> str:
    """Which NHS.UK component renders this field."""
    widget = bound_field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, DateInputWidget):
        return "date"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


@register.filter
def nhsuk_kind(bound_field: BoundField) -> str:
    return field_kind(bound_field)


def field_id(bound_field: BoundField) -> str:
    """The id of the field's (first) control, which labels and error links point at."""
    return str(bound_field.field.widget.attrs.get("id") or bound_field.auto_id or bound_field.html_name)


def _join(*ids: str) -> str:
    return " ".join(i for i in ids if i)


def _classes(*groups: str | None) -> str:
    """Join class lists, dropping repeats, so a layout can restate a class harmlessly."""
    seen: list[str] = []
    for group in groups:
        for name in (group or "").split():
            if name not in seen:
                seen.append(name)
    return " ".join(seen)


def _render_widget(bound_field: BoundField, attrs: dict[str, Any]) -> SafeString:
    """Render Django's own widget markup (so developer attrs like autocomplete survive).

    We call widget.render rather than BoundField.as_widget because as_widget adds
    ``required`` (browser validation would pre-empt the NHS.UK error messages) and its
    own aria-describedby/aria-invalid, which would fight the ids nhsuk-frontend uses.
    """
    widget = bound_field.field.widget
    if bound_field.field.disabled:
        attrs["disabled"] = True
    attrs.pop("required", None)
    if type(widget) is forms.Select:  # subclasses may have templates of their own
        return render_select(widget, bound_field.html_name, bound_field.value(), attrs)
    return SafeString(  # nosec B703 # widget.render() escapes every value
        widget.render(
            name=bound_field.html_name,
            value=bound_field.value(),
            attrs=attrs,
            renderer=bound_field.form.renderer,
        )
    )


def _show_errors(context: template.Context) -> bool:
    # crispy passes form_show_errors=False when a helper hides errors; default to showing.
    value = context.get("form_show_errors", True)
    return value is not False and value != ""


def _item_hints(context: template.Context) -> dict[str, str]:
    hints = context.get("item_hints") or {}
    return {str(key): str(value) for key, value in hints.items()}


def _choice_items(bound_field: BoundField, state: FieldState, context: template.Context, *, fieldset: bool) -> None:
    hints = _item_hints(context)
    exclusive = context.get("exclusive")
    exclusive_value = None if exclusive is None else str(exclusive)
    divider = str(context.get("exclusive_divider") or "or")
    index = 0
    for subwidget in bound_field.subwidgets:
        data = subwidget.data
        value = str(data["value"])
        if exclusive_value is not None and value == exclusive_value:
            # nhsuk-frontend counts the divider as an item, so the next id skips a number.
            index += 1
            state.items.append(Item(divider=divider))
        index += 1
        # Like nhsuk-frontend, the first item's id has no suffix so the error summary can
        # link to the field's own id.
        item_id = state.id if index == 1 else f"{state.id}-{index}"
        hint = hints.get(value, "")
        hint_id = f"{item_id}-item-hint" if hint else ""
        # Checkboxes outside a fieldset carry the group's hint/error ids themselves.
        group_ids = state.described_by if (state.kind == "checkboxes" and not fieldset) else ""
        state.items.append(
            Item(
                id=item_id,
                name=bound_field.html_name,
                value=value,
                label=str(data["label"]),
                checked=bool(data["selected"]),
                disabled=bool(bound_field.field.disabled or data["attrs"].get("disabled")),
                hint=hint,
                hint_id=hint_id,
                described_by=_join(group_ids, hint_id),
                behaviour="exclusive" if value == exclusive_value else "",
            )
        )


def _date_parts(bound_field: BoundField, state: FieldState, context: template.Context) -> None:
    widget = bound_field.field.widget
    assert isinstance(widget, DateInputWidget)
    values = widget.part_values(bound_field.value())
    errored: set[str] = set()
    if state.has_error:
        for error in bound_field.errors.as_data():
            errored.update(error_parts(error))
    autocomplete = context.get("autocomplete") or ""
    for part in DATE_PARTS:
        state.parts.append(
            DatePart(
                name=f"{bound_field.html_name}-{part}",
                id=f"{state.id}-{part}",
                label=part.capitalize(),
                value=values[part],
                width=4 if part == "year" else 2,
                has_error=part in errored,
                autocomplete=f"{autocomplete}-{part}" if autocomplete else "",
            )
        )


@register.simple_tag(takes_context=True)
def nhsuk_field_state(context: template.Context, bound_field: BoundField) -> FieldState:
    kind = field_kind(bound_field)
    state = FieldState(kind=kind, id=field_id(bound_field))
    if kind == "hidden":
        return state

    errors = bound_field.errors if _show_errors(context) else []
    if errors:
        state.has_error = True
        # NHS.UK shows one message per field; Django stops at the first failing check for
        # most fields, and the summary shows the same first message.
        state.error = str(errors[0])
        state.error_id = f"{state.id}-error"
    if bound_field.help_text:
        state.hint_id = f"{state.id}-hint"

    char_count = bool(context.get("max_characters") or context.get("max_words"))
    if kind == "textarea" and char_count:
        state.kind = kind = "character_count"
        state.info_id = f"{state.id}-info"
        if context.get("max_words"):
            state.count_type, state.count_limit = "words", int(context["max_words"])
        else:
            state.count_type, state.count_limit = "characters", int(context["max_characters"])

    # Same order as nhsuk-frontend: count message, then hint, then error.
    state.described_by = _join(state.info_id, state.hint_id, state.error_id)

    widget_attrs = dict(bound_field.field.widget.attrs)
    layout_classes = widget_attrs.pop("class", "")
    base_attrs: dict[str, Any] = {"id": state.id}
    if state.described_by:
        base_attrs["aria-describedby"] = state.described_by

    if kind in ("radios", "checkboxes"):
        state.block = f"nhsuk-{kind}"
        state.input_type = "radio" if kind == "radios" else "checkbox"
        fieldset = bool(bound_field.label)
        _choice_items(bound_field, state, context, fieldset=fieldset)
    elif kind == "date":
        _date_parts(bound_field, state, context)
    elif kind == "checkbox":
        widget = bound_field.field.widget
        assert isinstance(widget, forms.CheckboxInput)
        state.checked = bool(widget.check_test(bound_field.value()))
    elif kind == "select":
        css = _classes("nhsuk-select", "nhsuk-select--error" if state.has_error else "", layout_classes)
        state.widget = _render_widget(bound_field, {**widget_attrs, **base_attrs, "class": css})
    elif kind in ("textarea", "character_count"):
        classes = ["nhsuk-textarea", "nhsuk-textarea--error" if state.has_error else ""]
        if kind == "character_count":
            classes.append("nhsuk-js-character-count")
        rows = context.get("rows") or widget_attrs.get("rows")
        if rows in (None, _DJANGO_TEXTAREA_ROWS):
            rows = _NHSUK_TEXTAREA_ROWS
        attrs = {**widget_attrs, **base_attrs, "class": _classes(*classes, layout_classes), "rows": rows}
        attrs["cols"] = False  # False drops the attribute in Django's attrs.html
        if kind == "character_count":
            # Let people type past the limit and see the count, as NHS.UK asks; the form
            # field's max_length still rejects it on the server.
            attrs["maxlength"] = False
        state.widget = _render_widget(bound_field, attrs)
    elif kind == "file":
        css = _classes("nhsuk-file-upload__input", layout_classes)
        state.widget = _render_widget(bound_field, {**widget_attrs, **base_attrs, "class": css})
    else:
        css = _classes("nhsuk-input", "nhsuk-input--error" if state.has_error else "", layout_classes)
        state.widget = _render_widget(bound_field, {**widget_attrs, **base_attrs, "class": css})
    return state


# --- Error summary -----------------------------------------------------------------


def _forms_of(obj: Any) -> list[forms.BaseForm]:
    if isinstance(obj, BaseFormSet):
        return list(obj.forms)
    if isinstance(obj, forms.BaseForm):
        return [obj]
    return []


def error_links(*forms_or_formsets: Any) -> list[ErrorLink]:
    """One link per field error, in page order, then unlinked form-wide errors first.

    Non-field errors are listed without a link (nhsuk-frontend's "without error link"
    pattern) because there is no single field to move focus to.
    """
    links: list[ErrorLink] = []
    for obj in forms_or_formsets:
        if isinstance(obj, BaseFormSet):
            links.extend(ErrorLink(str(error), None) for error in obj.non_form_errors())
        for form in _forms_of(obj):
            if not form.is_bound:
                continue
            links.extend(ErrorLink(str(error), None) for error in form.non_field_errors())
            for bound_field in form:
                if not bound_field.errors:
                    continue
                error = bound_field.errors.as_data()[0]
                # str(ValidationError) would give a list repr; the ErrorList has the text.
                text = str(bound_field.errors[0])
                target = field_id(bound_field)
                if isinstance(bound_field.field.widget, DateInputWidget):
                    # Focus the first box that needs fixing, not always the day.
                    first = next(part for part in DATE_PARTS if part in error_parts(error))
                    target = f"{target}-{first}"
                links.append(ErrorLink(text, f"#{target}"))
    return links


def has_errors(*forms_or_formsets: Any) -> bool:
    for obj in forms_or_formsets:
        if isinstance(obj, BaseFormSet):
            if obj.is_bound and (obj.non_form_errors() or any(form.errors for form in obj.forms)):
                return True
        elif isinstance(obj, forms.BaseForm) and obj.is_bound and obj.errors:
            return True
    return False


@register.simple_tag
def error_summary(*forms_or_formsets: Any, heading: str = "There is a problem") -> SafeString:
    """``{% error_summary form %}``: nothing when there are no errors."""
    links = error_links(*forms_or_formsets)
    if not links:
        return SafeString("")
    html = render_to_string("nhsuk/layout/error_summary.html", {"heading": heading, "errors": links})
    return SafeString(html)  # nosec B703 # output of an autoescaped template


@register.simple_tag
def error_title_prefix(*forms_or_formsets: Any) -> str:
    """``<title>{% error_title_prefix return_form %}...``: "Error: " when there are errors."""
    return "Error: " if has_errors(*forms_or_formsets) else ""
