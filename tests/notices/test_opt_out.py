"""Opting out of a trust's campaign messages (issue 13, item 5): the link and RFC 8058 headers in every
email, the short line at the end of every text and letter, the page (no sign-in, no JavaScript, POST to
confirm), the one-click POST, and the skip in every later campaign of that trust on every channel."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from notices.models import Channel, Delivery, DeliveryStatus, MessageTemplate, MessagingOptOut, OptOutKind
from notices.services import delivery as service
from notices.services.campaigns import campaign_start
from notices.services.opt_outs import opt_out_token
from tests.conftest import _user
from tests.notices import delivery_support
from tests.notices.delivery_support import make_template, row, use_fast_delivery
from trusts import clock
from trusts.models import AuditEvent, Role, Trust

pytestmark = pytest.mark.django_db

SITE = "https://strikeops.example"
NHS_NUMBER = "9434765919"
ADDRESS = ["1 Infirmary Square", "Leicester", "LE1 5WW"]
LINK = re.compile(r"https://strikeops\.example(/messages/stop/[^/\s]+/)")


@pytest.fixture
def fast_delivery(settings):
    for record in use_fast_delivery(settings):
        settings.SITE_URL = SITE
        yield record


def make_campaign(trust, user, rows, channel=Channel.EMAIL):
    """A campaign with a template of its own (template names are unique per trust)."""
    template = make_template(trust, channel, name=f"Apology {channel} {MessageTemplate.objects.count()}")
    return delivery_support.make_campaign(trust, user, rows, channel=channel, template=template)


def send_all(campaign, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=campaign, user=user)
    return dict(Delivery.objects.filter(campaign=campaign).values_list("recipient__line", "status"))


def test_every_email_has_the_link_and_rfc_8058_headers_and_the_page_opts_the_patient_out(
        rwe, chris, fast_delivery, settings, django_capture_on_commit_callbacks) -> None:
    settings.DELIVERY_CHANNELS = {**settings.DELIVERY_CHANNELS, "email": "email"}  # Django's email backend
    campaign = make_campaign(rwe, chris, [row(2, email="pat@example.com", nhs_number=NHS_NUMBER),
                                          row(3, email="sam@example.com")])
    send_all(campaign, chris, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == ["pat@example.com"])
    recipient = campaign.recipients.get(line=2)
    page_path = f"/messages/stop/{opt_out_token(recipient.pk)}/"
    assert message.body.endswith(f"If you do not want more messages like this from {rwe.name}, go to {SITE}{page_path}")
    headers = message.message()
    assert headers["List-Unsubscribe"] == f"<{SITE}{page_path}one-click/>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The patient follows the link: no sign-in, a page that asks, with CSRF like any form.
    patient = Client(enforce_csrf_checks=True)
    found = LINK.search(str(message.body))
    assert found is not None
    asked = patient.get(found.group(1))
    page = asked.content.decode()
    assert asked.status_code == 200
    assert f"<h1>Stop messages from {rwe.name}</h1>" in page
    assert "by email, text message or letter" in page
    assert "pat@example.com" not in page and NHS_NUMBER not in page
    assert not MessagingOptOut.objects.exists()  # opening the link (a mail scanner does) changes nothing
    assert patient.post(page_path).status_code == 403  # no token from the form: not a confirmation
    done = patient.post(page_path, {"csrfmiddlewaretoken": asked.cookies["csrftoken"].value})
    assert done.status_code == 200
    assert "You will not get more messages" in done.content.decode()
    # One row per way of recognising the patient, for this trust, hashes only.
    assert sorted(MessagingOptOut.objects.values_list("trust__ods_code", "kind")) == [
        ("RWE", OptOutKind.EMAIL), ("RWE", OptOutKind.NHS_NUMBER)]
    stored = repr(list(MessagingOptOut.objects.values()))
    assert "pat@example" not in stored and NHS_NUMBER not in stored
    event = AuditEvent.objects.get(event="messaging.opted_out")
    assert "pat@" not in f"{event.summary}{event.details}" and event.details["line"] == 2

    again = patient.get(page_path).content.decode()
    assert "You have already asked not to get these messages" in again


def test_a_mail_clients_one_click_post_opts_out_without_cookie_or_csrf_token(
        rwe, chris, fast_delivery) -> None:
    campaign = make_campaign(rwe, chris, [row(2, email="pat@example.com")])
    token = opt_out_token(campaign.recipients.get().pk)
    provider = Client(enforce_csrf_checks=True)
    path = reverse("campaigns:opt_out_one_click", args=[token])
    response = provider.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert list(MessagingOptOut.objects.values_list("kind", flat=True)) == [OptOutKind.EMAIL]
    assert provider.post(path, "List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded").status_code == 200  # idempotent
    assert MessagingOptOut.objects.count() == 1
    # A person who opens the header's address in a browser gets the page that asks.
    assert provider.get(path)["Location"] == reverse("campaigns:opt_out", args=[token])


@pytest.mark.parametrize("tamper", ["signature", "recipient", "garbage"])
def test_a_link_that_is_not_ours_is_404_and_records_nothing(rwe, chris, fast_delivery, tamper) -> None:
    campaign = make_campaign(rwe, chris, [row(2, email="a@example.com"), row(3, email="b@example.com")])
    first, second = campaign.recipients.order_by("line")
    token = opt_out_token(first.pk)
    bad = {"signature": token[:-1] + ("A" if token[-1] != "A" else "B"),
           "recipient": f"{second.pk}-{token.partition('-')[2]}", "garbage": "abc"}[tamper]
    client = Client()
    assert client.get(reverse("campaigns:opt_out", args=[bad])).status_code == 404
    assert client.post(reverse("campaigns:opt_out_one_click", args=[bad])).status_code == 404
    assert not MessagingOptOut.objects.exists()


def test_every_text_ends_with_a_short_opt_out_line_and_every_letter_with_the_link(
        rwe, chris, fast_delivery) -> None:
    sms = make_campaign(rwe, chris, [row(2, phone="+447700900123")], channel=Channel.SMS)
    letter = make_campaign(rwe, chris, [row(2, address_lines=ADDRESS)], channel=Channel.LETTER)
    for campaign in (sms, letter):
        campaign.figures = {"trust_name": rwe.name}
    text = service.render_message(sms, sms.recipients.get())
    assert text.body.endswith(f"\n\nOpt out: {SITE}/messages/stop/{opt_out_token(sms.recipients.get().pk)}/")
    assert text.unsubscribe_url == ""
    printed = service.render_message(letter, letter.recipients.get())
    assert printed.body.endswith(f"{SITE}/messages/stop/{opt_out_token(letter.recipients.get().pk)}/")


def test_an_opt_out_stops_every_later_campaign_of_that_trust_on_every_channel_and_no_other_trusts(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks) -> None:
    # Pat opts out from a text that carried her NHS number; Lee from a letter (no NHS number).
    first = make_campaign(rwe, chris, [row(2, phone="07700 900123", nhs_number=NHS_NUMBER)], channel=Channel.SMS)
    letter = make_campaign(rwe, chris, [row(2, address_lines=ADDRESS)], channel=Channel.LETTER)
    client = Client()
    for campaign in (first, letter):
        client.post(reverse("campaigns:opt_out_one_click", args=[opt_out_token(campaign.recipients.get().pk)]))

    later_sms = make_campaign(rwe, chris, [row(2, phone="+44 7700 900123"), row(3, phone="07700900999")],
                              channel=Channel.SMS)
    later_email = make_campaign(rwe, chris, [row(2, email="pat@example.com", nhs_number=NHS_NUMBER),
                                             row(3, email="other@example.com")])
    later_letter = make_campaign(rwe, chris, [row(2, address_lines=["1 infirmary square", "LEICESTER", "LE15WW"]),
                                              row(3, address_lines=["2 Other Road", "Leicester", "LE1 6AA"]),
                                              row(4, address_lines=["9 Elsewhere", "Leicester", "LE2 1AA"],
                                                  nhs_number=NHS_NUMBER)],
                                 channel=Channel.LETTER)
    skipped = DeliveryStatus.CANCELLED
    assert send_all(later_sms, chris, django_capture_on_commit_callbacks) == {2: skipped, 3: DeliveryStatus.DELIVERED}
    assert send_all(later_email, chris, django_capture_on_commit_callbacks) == {
        2: skipped, 3: DeliveryStatus.DELIVERED}
    assert send_all(later_letter, chris, django_capture_on_commit_callbacks) == {
        2: skipped, 3: DeliveryStatus.DELIVERED, 4: skipped}
    assert set(Delivery.objects.filter(status=skipped).values_list("failure_reason", flat=True)) == {"Opted out"}

    # Another trust's messages still reach them.
    rx1 = Trust.objects.get(ods_code="RX1")
    cora = _user("cora@rx1.example", Role.TRUST_COMMS, trust="RX1")
    elsewhere = make_campaign(rx1, cora, [row(2, phone="07700900123", nhs_number=NHS_NUMBER)], channel=Channel.SMS)
    assert send_all(elsewhere, cora, django_capture_on_commit_callbacks) == {2: DeliveryStatus.DELIVERED}


def test_the_check_page_counts_the_recipients_it_will_skip(rwe, chris, fast_delivery) -> None:
    earlier = make_campaign(rwe, chris, [row(2, email="a@example.com"), row(3, email="b@example.com",
                                                                           nhs_number=NHS_NUMBER)])
    client = Client()
    for recipient in earlier.recipients.all():
        client.post(reverse("campaigns:opt_out_one_click", args=[opt_out_token(recipient.pk)]))
    draft = make_campaign(rwe, chris, [row(2, email="A@Example.com"), row(3, email="new@example.com",
                                                                          nhs_number=NHS_NUMBER),
                                       row(4, email="c@example.com")])
    client.force_login(chris)
    page = client.get(reverse("campaigns:campaign", args=["RWE", draft.pk])).content.decode()
    assert (f"<strong>2 recipients</strong> on this list have opted out of messages from {rwe.name} and will be "
            "skipped.") in page
    untouched = make_campaign(rwe, chris, [row(2, email="d@example.com")])
    page = client.get(reverse("campaigns:campaign", args=["RWE", untouched.pk])).content.decode()
    assert "opted out" not in page


def test_the_link_still_works_after_the_contact_details_are_purged(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks) -> None:
    campaign = make_campaign(rwe, chris, [row(2, email="pat@example.com", nhs_number=NHS_NUMBER)])
    send_all(campaign, chris, django_capture_on_commit_callbacks)
    service.campaign_purge(campaign=campaign, now=clock.now())
    recipient = campaign.recipients.get()
    assert (recipient.email, recipient.nhs_number) == (None, None)
    Client().post(reverse("campaigns:opt_out_one_click", args=[opt_out_token(recipient.pk)]))
    assert sorted(MessagingOptOut.objects.values_list("kind", flat=True)) == [OptOutKind.EMAIL, OptOutKind.NHS_NUMBER]
    later = make_campaign(rwe, chris, [row(2, email="PAT@example.com")])
    assert send_all(later, chris, django_capture_on_commit_callbacks) == {2: DeliveryStatus.CANCELLED}
