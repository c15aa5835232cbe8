"""strikeops.errors: the one refusal type of the services, and how pages and the API show it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms

import notices.services
import trusts.services
from strikeops.errors import ServiceError, show_on_form
from trusts.api.errors import refusal_body


class ReopenForm(forms.Form):
    reason = forms.CharField(required=False)
    closes_on = forms.DateField(required=False)


def test_every_exception_a_service_raises_is_a_service_error() -> None:
    found = []
    for package in (trusts.services, notices.services):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            found += [(info.name, name) for name, value in vars(module).items()
                      if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == info.name
                      and not issubclass(value, ServiceError)]
    assert found == []


def test_messages_go_on_their_fields_renamed_or_on_the_whole_form() -> None:
    form = ReopenForm({})
    form.is_valid()
    error = ServiceError(errors={"reason": ["Enter why"], "closes_at": ["Must end in the future"],
                                 "windows": ["Overlap"], "__all__": ["Not locked yet"]})
    show_on_form(form, error, fields={"closes_at": "closes_on"})
    assert form.errors == {"reason": ["Enter why"], "closes_on": ["Must end in the future"],
                           "__all__": ["Overlap", "Not locked yet"]}


def test_a_message_without_a_field_goes_on_the_whole_form_or_where_the_view_says() -> None:
    plain, renamed = ReopenForm({}), ReopenForm({})
    plain.is_valid()
    renamed.is_valid()
    show_on_form(plain, ServiceError("Already ended"))
    show_on_form(renamed, ServiceError("Too many"), fields={"__all__": "reason"})
    assert plain.errors == {"__all__": ["Already ended"]}
    assert renamed.errors == {"reason": ["Too many"]}


@pytest.mark.parametrize(("error", "fields"), [
    (ServiceError("Refused"), {}),
    (ServiceError("Enter a reason", field="reason"), {"reason": ["Enter a reason"]}),
    (ServiceError("Two problems", errors={"__all__": ["One"], "name": ["Two"]}),
     {"non_field_errors": ["One"], "name": ["Two"]}),
])
def test_the_api_answers_a_refusal_in_the_one_error_shape(error: ServiceError, fields: dict[str, list[str]]) -> None:
    assert refusal_body(error) == {"status": 400, "code": "refused", "message": error.message, "fields": fields,
                                   "warnings": []}


def test_the_message_of_field_errors_is_all_of_them() -> None:
    error = ServiceError(errors={"reason": ["Enter why"], "__all__": ["Not locked yet"]})
    assert error.message == str(error) == "Enter why; Not locked yet"
    assert error.message_dict == {"reason": ["Enter why"], "__all__": ["Not locked yet"]}
