"""Public text (notices, withdrawal reasons) must read the same to everyone: bidi overrides and
isolates can make a notice display differently from what was typed (and from what a reviewer
approved), zero-width characters hide text, and control characters break feeds and exports.
They are removed as the text arrives; line breaks and tabs stay."""

from __future__ import annotations

import re
from typing import Any

from django import forms

INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # control characters other than tab and line breaks
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"  # bidi marks, overrides, isolates, zero-width
)


def strip_invisible(text: str) -> str:
    return INVISIBLE.sub("", text)


class PublicTextField(forms.CharField):
    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return strip_invisible(text) if text else ""
