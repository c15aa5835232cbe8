"""Logs are no place for patient data: run campaigns down every path with every logger at DEBUG and
look for the contact details in everything written."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.urls import reverse

from notices.models import Channel, Delivery, DeliveryStatus
from notices.services import opt_outs
from notices.services.campaigns import campaign_start
from tests.notices.delivery_support import make_campaign, recover, row, use_fast_delivery
from tests.notices.test_delivery_channels import API_KEY, TEMPLATES, FakeNotify, error
from trusts import clock

pytestmark = pytest.mark.django_db

EMAILS = ["pat.smith@example.com", "temp-fail-1+pat@simulator.notify", "perm-fail+pat@simulator.notify",
          "opted.out@example.com"]
PHONES = ["+447700900123", "+447700900456"]
NHS_NUMBERS = ["9434765919", "4010232137"]


@pytest.fixture
def fast_delivery(settings):
    yield from use_fast_delivery(settings)


def test_no_contact_details_in_any_log_line(rwe, chris, fast_delivery, settings, caplog, client,
                                            django_capture_on_commit_callbacks, monkeypatch):
    caplog.set_level(logging.DEBUG)  # root and everything under it
    opt_outs.opt_out_record(email="opted.out@example.com", trust=rwe)

    # Email through the recording channel: success, a temporary failure then success, a permanent
    # failure, an opt-out; texts through the development log channel.
    settings.DELIVERY_CHANNELS = {"email": "test", "sms": "log", "letter": "test"}
    email = make_campaign(rwe, chris, [row(i + 2, email=e, nhs_number=NHS_NUMBERS[i % 2], name="Pat")
                                       for i, e in enumerate(EMAILS)])
    sms = make_campaign(rwe, chris, [row(i + 2, phone=p, nhs_number=NHS_NUMBERS[i], name="Pat")
                                     for i, p in enumerate(PHONES)], channel=Channel.SMS)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=email, user=chris)
        campaign_start(campaign=sms, user=chris)
    later = clock.now() + dt.timedelta(hours=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    recover()

    # Texts through GOV.UK Notify's client (which logs requests and failures itself): a refusal, a
    # rate limit, then success; and a receipt through the callback.
    fake = FakeNotify()
    try:
        settings.DELIVERY_CHANNELS = {"email": "notify", "sms": "notify", "letter": "notify"}
        settings.NOTIFY_API_KEY, settings.NOTIFY_BASE_URL = API_KEY, fake.url
        settings.NOTIFY_TEMPLATE_ID_SMS = TEMPLATES["sms"]
        fake.answers += [error(400, "ValidationError", "phone_number Not a UK mobile number"),
                         error(429, "RateLimitError", "Exceeded rate limit")]
        notify = make_campaign(rwe, chris, [row(i + 2, phone=p, nhs_number=NHS_NUMBERS[i], name="Pat")
                                            for i, p in enumerate(PHONES)], channel=Channel.SMS,
                               template=sms.template)
        with django_capture_on_commit_callbacks(execute=True):
            campaign_start(campaign=notify, user=chris)
        even_later = later + dt.timedelta(hours=2)
        monkeypatch.setattr(clock, "now", lambda: even_later)
        recover()
    finally:
        fake.stop()
    sent = Delivery.objects.get(campaign=notify, status=DeliveryStatus.SENT)
    client.post(reverse("campaigns:notify_callback"), content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {settings.NOTIFY_CALLBACK_TOKEN}",
                data=json.dumps({"id": sent.provider_reference, "reference": str(sent.pk), "to": PHONES[1],
                                 "status": "delivered"}))

    outcomes = dict(Delivery.objects.filter(campaign=email).values_list("recipient__line", "status"))
    assert outcomes == {2: DeliveryStatus.DELIVERED, 3: DeliveryStatus.DELIVERED,
                        4: DeliveryStatus.PERMANENT_FAILURE, 5: DeliveryStatus.CANCELLED}
    assert set(Delivery.objects.filter(campaign=notify).values_list("status", flat=True)) == {
        DeliveryStatus.PERMANENT_FAILURE, DeliveryStatus.DELIVERED}

    text = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "delivery " in text  # the logs were captured: ids are there
    for value in [*EMAILS, *PHONES, *NHS_NUMBERS, "07700 900123", "7700900123", "7700900456", "Pat "]:
        assert value not in text, f"{value!r} appears in the logs"
    for value in ["@example.com", "@simulator.notify"]:
        assert value not in text
