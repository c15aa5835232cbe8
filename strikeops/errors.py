"""The one error type services raise when they refuse what they were asked, and the one way a view
shows it.

A service that refuses raises a subclass of ServiceError (one per app or per kind of refusal) and
changes nothing. Its `message` is a sentence fit to show the person who asked; `errors` optionally
puts messages on named fields (the service's own argument names, "__all__" for the whole request).
Views show it with `show_on_form` or `show_as_message`; the API answers it through its exception
handler (trusts/api/errors.py) with the class's `api_status` and `api_code`, in the one error shape of
docs/api.md. Form validation (what people typed) stays with Django forms; this is for the rules
that only a service can check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest

NON_FIELD = "__all__"


class ServiceError(Exception):
    """A refusal: nothing was changed. str() is the message."""

    api_status: ClassVar[int] = 400
    api_code: ClassVar[str] = "refused"

    def __init__(self, message: str = "", *, field: str | None = None,
                 errors: Mapping[str, Sequence[str]] | None = None) -> None:
        if errors is not None:
            self.errors = {name: list(texts) for name, texts in errors.items()}
        else:
            self.errors = {field: [message]} if field else {}
        self.message = message or "; ".join(self.messages)
        self.field = field
        super().__init__(self.message)

    @property
    def messages(self) -> list[str]:
        """Every message, field by field (the message alone when it names no field)."""
        return [text for texts in self.errors.values() for text in texts] if self.errors else [self.message]

    @property
    def message_dict(self) -> dict[str, list[str]]:
        """The messages by field, as Django's ValidationError names them (the message under "__all__"
        when it names no field)."""
        return self.errors or {NON_FIELD: [self.message]}

    def api_extra(self) -> dict[str, Any]:
        """Members of the API's error body beyond status, code, message, fields and warnings."""
        return {}

    def api_warnings(self) -> list[dict[str, str]]:
        return []


def show_on_form(form: forms.BaseForm, error: ServiceError, *, fields: Mapping[str, str] | None = None) -> None:
    """Each message on its form field: `fields` renames a service's field to the form's
    ("closes_at" -> "closes_on"); a field the form does not have, and "__all__", go on the whole form."""
    for name, texts in error.message_dict.items():
        target = (fields or {}).get(name, name)
        for text in texts:
            form.add_error(target if target in form.fields else None, text)


def show_as_message(request: HttpRequest, error: ServiceError) -> None:
    """The refusal at the top of the next page (a POST that redirects)."""
    messages.error(request, error.message)
