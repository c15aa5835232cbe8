"""Helpers shared by the template pack tests: rendering a layout and loading nhsuk fixtures."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from crispy_forms.utils import render_crispy_form
from django import forms
from django.conf import settings
from django.template import Context, Template

from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Layout
from tests.crispy_forms_nhsuk.html_normaliser import normalise

COMPONENTS_DIR = Path(settings.NHSUK_FRONTEND_DIR) / "components"
GOLDEN_DIR = Path(__file__).parent / "golden"


@cache
def _fixtures(component: str) -> list[dict[str, Any]]:
    with (COMPONENTS_DIR / component / "fixtures.json").open(encoding="utf-8") as f:
        return json.load(f)["fixtures"]


def nhsuk_fixture(component: str, name: str, **context: Any) -> dict[str, Any]:
    """The shipped fixture with this name (and, where names repeat, these context values)."""
    for fixture in _fixtures(component):
        if fixture["name"] != name:
            continue
        if all(_dig(fixture["context"], key) == value for key, value in context.items()):
            return fixture
    raise LookupError(f"No {component} fixture named {name!r} with {context}")


def _dig(context: dict[str, Any], dotted: str) -> Any:
    value: Any = context
    for key in dotted.split("__"):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def render_layout(form: forms.BaseForm, *layout: Any, helper: FormHelper | None = None) -> str:
    """Render just the fields (no <form>), as a page using form_tag=False would."""
    if helper is None:
        helper = FormHelper(form_tag=False)
    helper.layout = Layout(*layout)
    return render_crispy_form(form, helper)


def render_template(source: str, **context: Any) -> str:
    return Template("{% load crispy_forms_nhsuk %}" + source).render(Context(context))


def assert_same_markup(actual: str, expected: str) -> None:
    assert normalise(actual) == normalise(expected)


def assert_matches_golden(actual: str, name: str) -> None:
    """Compare with tests/crispy_forms_nhsuk/golden/<name>; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(normalise(actual), encoding="utf-8")
    assert path.exists(), f"No golden file {name}; run with UPDATE_GOLDEN=1 and review it"
    assert normalise(actual) == path.read_text(encoding="utf-8")
