"""Message template pages: scoping per role, create/edit with NHS.UK errors, preview with real figures."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from notices.models import Channel, MessageTemplate
from tests.conftest import PASSWORD
from tests.factories import make_action, make_return
from trusts.models import AuditEvent, Membership, Role, Trust, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults() -> list[MessageTemplate]:
    """The shipped apology templates, installed by the data migrations' own functions (transactional
    tests elsewhere flush the table, so they are put back the way the migrations put them)."""
    apps_registry = apps
    importlib.import_module("notices.migrations.0002_default_apology_templates").add_defaults(apps_registry, None)
    importlib.import_module("notices.migrations.0003_template_recipient_columns").declare_default_columns(
        apps_registry, None)
    return list(MessageTemplate.objects.filter(trust=None).order_by("channel"))


@pytest.fixture
def cara(db) -> User:
    """Communications officer of another trust (Nottingham)."""
    user = User.objects.create_user(email="cara@rx1.example", password=PASSWORD)
    Membership.objects.create(user=user, role=Role.TRUST_COMMS, trust=Trust.objects.get(ods_code="RX1"))
    return user


@pytest.fixture
def april(rwe):
    action = make_action(affected=["RWE"])
    make_return(action, rwe, dt.date(2023, 4, 11), elective_rescheduled=40, outpatient_rescheduled=500,
                community_rescheduled=10, mental_health_rescheduled=3, staff_absent=650, staff_due=1200)
    make_return(action, rwe, dt.date(2023, 4, 12), elective_rescheduled=60, outpatient_rescheduled=700,
                staff_absent=600, staff_due=1200)
    return action


def sms_template(rwe: Trust, **kwargs: object) -> MessageTemplate:
    values = {"trust": rwe, "name": "Apology text", "channel": Channel.SMS, "subject": "",
              "body": "Dear ((name)), ((trust_name)) moved ((appointments_rescheduled)) appointments.",
              "recipient_columns": ["name"]}
    values.update(kwargs)
    return MessageTemplate.objects.create(**values)


def test_default_apology_templates_ship_for_email_sms_and_letter(defaults) -> None:
    assert [t.channel for t in defaults] == ["email", "letter", "sms"]
    for template in defaults:
        assert template.recipient_columns == ["name", "appointment_date", "appointment_reference"]
        for placeholder in ("((name))", "((trust_name))", "((action_name))", "((appointment_date))",
                            "((appointment_reference))"):
            assert placeholder in template.subject + template.body
    email = defaults[0]
    for placeholder in ("((action_dates))", "((appointments_rescheduled))", "((procedures_rescheduled))"):
        assert placeholder in email.body
    assert defaults[2].subject == ""
    assert len(defaults[2].body) <= 918


@pytest.mark.parametrize("who", ["ada", "tom", "morgan", "nia", "pat", "cara"])
def test_only_the_trusts_communications_staff_see_its_templates(client, rwe, who, request) -> None:
    template = sms_template(rwe)
    client.force_login(request.getfixturevalue(who))
    for url in (reverse("campaigns:templates", args=["RWE"]), reverse("campaigns:template_new", args=["RWE"]),
                reverse("campaigns:template", args=["RWE", template.pk])):
        assert client.get(url).status_code == 404, (who, url)
    assert client.post(reverse("campaigns:template_archive", args=["RWE", template.pk])).status_code == 404
    template.refresh_from_db()
    assert not template.archived


def test_anonymous_visitors_are_sent_to_sign_in(client, rwe) -> None:
    response = client.get(reverse("campaigns:templates", args=["RWE"]))
    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_another_trusts_template_is_404_even_for_its_comms_officer_at_the_wrong_url(client, rwe, chris, cara) -> None:
    theirs = sms_template(Trust.objects.get(ods_code="RX1"), name="Nottingham text")
    client.force_login(chris)
    assert client.get(reverse("campaigns:template", args=["RWE", theirs.pk])).status_code == 404
    assert client.get(reverse("campaigns:templates", args=["RX1"])).status_code == 404


def test_list_shows_own_and_default_templates(client, chris, rwe, defaults) -> None:
    sms_template(rwe)
    sms_template(Trust.objects.get(ods_code="RX1"), name="Nottingham text")
    client.force_login(chris)
    body = client.get(reverse("campaigns:templates", args=["RWE"])).content.decode()
    assert "Apology text" in body
    assert "Apology for rescheduled care (email)" in body
    assert "Nottingham text" not in body


def post_new(client, **data):
    values = {"name": "Apology text", "channel": "sms", "subject": "", "recipient_columns": "name",
              "body": "Dear ((name)), sorry from ((trust_name)).", "action": "", "save": "Save template"}
    values.update(data)
    values = {k: v for k, v in values.items() if v is not None}
    return client.post(reverse("campaigns:template_new", args=["RWE"]), values)


def test_creating_a_template_saves_it_for_the_trust_and_audits(client, chris, rwe) -> None:
    client.force_login(chris)
    response = post_new(client, recipient_columns="Name, Appointment date")
    template = MessageTemplate.objects.get(trust=rwe, name="Apology text")
    assert response.status_code == 302 and response.url == reverse("campaigns:template", args=["RWE", template.pk])
    assert template.channel == "sms" and template.created_by == chris
    assert template.recipient_columns == ["name", "appointment_date"]
    assert AuditEvent.objects.filter(event="message_template.created", trust=rwe).count() == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": ""}, "name", "Enter a template name"),
    ({"channel": ""}, "channel", "Select email, text message or letter"),
    ({"body": ""}, "body", "Enter the message"),
    ({"channel": "email", "subject": ""}, "subject", "Enter a subject"),
    ({"channel": "letter", "subject": ""}, "subject", "Enter a letter heading"),
    ({"body": "Dear ((nmae))"}, "body",
     "((nmae)) is not a placeholder we know: check the spelling, or add it to the recipient columns"),
    ({"channel": "email", "subject": "For ((patient))"}, "subject",
     "((patient)) is not a placeholder we know: check the spelling, or add it to the recipient columns"),
    ({"body": "a" * 919}, "body", "Text message must be 918 characters or fewer (6 parts); it is 919"),
    ({"recipient_columns": "name, trust name"}, "recipient_columns",
     "'trust_name' is filled in from your trust's figures; remove it from the recipient columns"),
    ({"recipient_columns": "name, phone number"}, "recipient_columns",
     "'phone_number' is a contact detail column, not personalisation; remove it from the recipient columns"),
    ({"recipient_columns": "name, 1st visit"}, "recipient_columns",
     "Recipient column '1st_visit' must start with a letter and use only letters, numbers and spaces or "
     "underscores (up to 50 characters)"),
])
def test_template_form_errors(client, chris, rwe, data, field, message) -> None:
    client.force_login(chris)
    response = post_new(client, **data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    body = response.content.decode()
    assert "There is a problem" in body and "<title>Error: " in body
    assert not MessageTemplate.objects.filter(trust=rwe).exists()


def test_duplicate_name_is_an_error(client, chris, rwe) -> None:
    sms_template(rwe)
    client.force_login(chris)
    response = post_new(client, name="apology  TEXT")
    assert response.context["form"].errors["name"] == ["You already have a template with this name: choose another"]


def test_preview_uses_the_trusts_real_figures_and_sample_personalisation(client, chris, rwe, april) -> None:
    client.force_login(chris)
    response = post_new(client, save=None, preview="Preview", action=april.slug,
                        body="Dear ((name)), ((trust_name)) moved ((appointments_rescheduled)) appointments and "
                             "((procedures_rescheduled)) procedures on ((action_dates)).")
    assert response.status_code == 200
    body = response.content.decode()
    # 500 + 10 + 3 + 700 outpatient/community/mental health; 40 + 60 elective.
    assert ("Dear Alex Example, University Hospitals of Leicester NHS Trust moved 1,213 appointments and 100 "
            "procedures on 11 to 14 April 2023.") in body
    assert "1 text message" in body and "characters" in body
    assert not MessageTemplate.objects.filter(trust=rwe).exists()


def test_preview_shows_sms_length_fragments_and_ucs2_reason(client, chris, rwe) -> None:
    client.force_login(chris)
    response = post_new(client, save=None, preview="Preview", body="Dear ((name)), we\u2019re sorry. " + "x" * 150)
    preview = response.context["preview"]
    assert preview.sms.encoding == "UCS-2" and preview.sms.fragments == 3
    body = response.content.decode()
    assert "3 text messages" in body
    assert "each text message can hold only 70 characters" in body


def test_preview_names_trust_placeholders_without_a_value(client, chris, rwe) -> None:
    action = make_action(affected=["RWE"])  # no returns yet: no peak staff absent figure
    client.force_login(chris)
    response = post_new(client, save=None, preview="Preview", action=action.slug,
                        body="((trust_name)): ((peak_staff_absent)) staff were absent.")
    assert response.context["preview"].missing == ["peak_staff_absent"]
    assert "There is no value yet for ((peak_staff_absent))" in response.content.decode()


def test_editing_keeps_the_channel_and_records_changed_fields(client, chris, rwe, april) -> None:
    template = sms_template(rwe)
    client.force_login(chris)
    url = reverse("campaigns:template", args=["RWE", template.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "University Hospitals of Leicester NHS Trust moved 1,213" in page.content.decode()
    response = client.post(url, {"name": "Apology text", "body": "Sorry ((name)), from ((trust_name)).",
                                 "recipient_columns": "name", "channel": "email", "save": "Save template"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.channel == "sms" and template.body == "Sorry ((name)), from ((trust_name))."
    event = AuditEvent.objects.get(event="message_template.updated")
    assert event.details == {"fields": ["body"]}


def test_default_templates_are_read_only_and_copied(client, chris, rwe, defaults, april) -> None:
    email = next(t for t in defaults if t.channel == Channel.EMAIL)
    client.force_login(chris)
    page = client.get(reverse("campaigns:template", args=["RWE", email.pk]))
    body = page.content.decode()
    assert "Make a copy to change" in body
    assert "rescheduled 1,213 outpatient, community and mental health appointments and 100 planned" in body
    assert client.post(reverse("campaigns:template_archive", args=["RWE", email.pk])).status_code == 404
    response = client.post(reverse("campaigns:template_copy", args=["RWE", email.pk]))
    copy = MessageTemplate.objects.get(trust=rwe)
    assert response.url == reverse("campaigns:template", args=["RWE", copy.pk])
    assert (copy.name, copy.body, copy.recipient_columns) == (email.name, email.body, email.recipient_columns)
    client.post(reverse("campaigns:template_copy", args=["RWE", email.pk]))
    assert sorted(MessageTemplate.objects.filter(trust=rwe).values_list("name", flat=True)) == [
        email.name, f"Copy of {email.name}"]


def test_archiving_hides_the_template(client, chris, rwe) -> None:
    template = sms_template(rwe)
    client.force_login(chris)
    response = client.post(reverse("campaigns:template_archive", args=["RWE", template.pk]))
    assert response.status_code == 302
    listing = client.get(reverse("campaigns:templates", args=["RWE"]))
    assert list(listing.context["own_templates"]) == []
    assert client.get(reverse("campaigns:template", args=["RWE", template.pk])).status_code == 404
