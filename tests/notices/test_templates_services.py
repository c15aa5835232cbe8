"""Template rules shared by the template pages and the campaign flow."""

from __future__ import annotations

import pytest

from notices.models import Channel, MessageTemplate
from notices.services.templates import (
    needed_columns,
    parse_recipient_columns,
    template_preview,
    template_send_errors,
    unknown_placeholders,
)
from tests.factories import make_action


def test_recipient_columns_are_normalised_like_notify_matches_them() -> None:
    assert parse_recipient_columns("Name, Appointment  date,\nappointment_reference, name") == [
        "name", "appointment_date", "appointment_reference"]
    assert parse_recipient_columns("  ") == []


def test_unknown_placeholders_are_neither_trust_placeholders_nor_declared_columns() -> None:
    text = "((Trust Name)) ((name)) ((apointment_date)) ((peak_staff_absent)) ((clinic))"
    assert unknown_placeholders([text], ["name", "appointment_date"]) == ["apointment_date", "clinic"]


def test_needed_columns_ignore_the_subject_of_a_text_message() -> None:
    sms = MessageTemplate(channel=Channel.SMS, subject="((ignored))", body="((trust_name)) ((name))")
    email = MessageTemplate(channel=Channel.EMAIL, subject="((ref))", body="((trust_name)) ((name))")
    assert needed_columns(sms) == ["name"]
    assert needed_columns(email) == ["name", "ref"]


@pytest.mark.django_db
def test_send_errors_name_unknown_placeholders_and_trust_figures_without_a_value(rwe) -> None:
    action = make_action(affected=["RWE"])
    template = MessageTemplate(trust=rwe, channel=Channel.EMAIL, subject="((reff))",
                               body="((peak_staff_absent)) ((procedures_rescheduled)) ((name))",
                               recipient_columns=["name"])
    assert template_send_errors(template=template, trust=rwe, action=action) == [
        "((reff)) is not a placeholder we know: check the spelling, or add it to the recipient columns",
        # No returns at all: neither figure is known, so neither is "0" (issue 12: missing is never zero).
        "Your trust has no figure yet for ((peak_staff_absent)), ((procedures_rescheduled)) for Junior doctors, "
        "April 2023: submit the returns first or remove the placeholder",
    ]


@pytest.mark.django_db
def test_preview_without_an_action_fills_the_trust_name_and_leaves_the_rest_visible(rwe) -> None:
    preview = template_preview(channel=Channel.SMS, subject="", body="((trust_name)): ((action_name)) ((name))",
                               trust=rwe, action=None, personalisation={"name": "Alex"})
    assert preview.body == "University Hospitals of Leicester NHS Trust: ((action_name)) Alex"
    assert preview.missing == ["action_name"]
    assert preview.sms is not None and preview.sms.fragments == 1
