"""POST /messages/notify/callback/: GOV.UK Notify delivery receipts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from notices.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from tests.notices.delivery_support import email_rows, make_campaign, settle, use_fast_delivery
from trusts import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_delivery(settings):
    yield from use_fast_delivery(settings)

TOKEN = "callback-token-for-tests"
NOTIFICATION_ID = "740e5834-3a29-46b4-9a6f-16142fde533a"


@pytest.fixture
def sent_delivery(rwe, chris, fast_delivery) -> Delivery:
    campaign = make_campaign(rwe, chris, email_rows(2))
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, started_at=clock.now())
    delivery = campaign.deliveries.earliest("pk")
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, attempts=1, claimed_at=clock.now(),
                                                   provider_reference=NOTIFICATION_ID, sent_at=clock.now())
    return delivery


def post(client: Client, body: object, token: str | None = TOKEN, **extra: Any):
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(reverse("campaigns:notify_callback"), data=data, content_type="application/json",
                       **headers, **extra)


def receipt(delivery: Delivery, status: str) -> dict[str, object]:
    return {"id": NOTIFICATION_ID, "reference": str(delivery.pk), "to": "pat@example.com",
            "status": status, "created_at": "2023-04-11T10:00:00.000000Z",
            "completed_at": "2023-04-11T10:00:05.000000Z", "sent_at": "2023-04-11T10:00:01.000000Z",
            "notification_type": "email", "template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
            "template_version": 1}


def test_the_url_is_fixed():
    assert reverse("campaigns:notify_callback") == "/messages/notify/callback/"


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x", TOKEN[:-1]])
def test_without_the_right_bearer_token_nothing_changes(client, sent_delivery, token):
    response = post(client, receipt(sent_delivery, "delivered"), token=token)
    assert response.status_code == 401
    sent_delivery.refresh_from_db()
    assert sent_delivery.status == DeliveryStatus.SENT


def test_another_scheme_is_refused(client, sent_delivery):
    response = client.post(reverse("campaigns:notify_callback"), data=json.dumps(receipt(sent_delivery, "delivered")),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert response.status_code == 401


def test_with_no_token_configured_the_endpoint_is_closed(client, sent_delivery, settings):
    settings.NOTIFY_CALLBACK_TOKEN = ""
    assert post(client, receipt(sent_delivery, "delivered"), token="").status_code == 401
    assert post(client, receipt(sent_delivery, "delivered"), token="anything").status_code == 401


def test_delivered_is_recorded_without_a_csrf_token_and_repeats_change_nothing(sent_delivery):
    client = Client(enforce_csrf_checks=True)
    response = post(client, receipt(sent_delivery, "delivered"))
    assert response.status_code == 200 and response.json() == {"recorded": True}
    sent_delivery.refresh_from_db()
    assert sent_delivery.status == DeliveryStatus.DELIVERED
    assert sent_delivery.provider_reference == NOTIFICATION_ID
    assert sent_delivery.completed_at is not None
    completed = sent_delivery.completed_at

    again = post(client, receipt(sent_delivery, "delivered"))
    assert again.status_code == 200 and again.json() == {"recorded": False}
    # A late contradicting receipt does not undo the outcome either.
    post(client, receipt(sent_delivery, "permanent-failure"))
    sent_delivery.refresh_from_db()
    assert (sent_delivery.status, sent_delivery.completed_at) == (DeliveryStatus.DELIVERED, completed)


@pytest.mark.parametrize(("status", "recorded", "reason"), [
    ("permanent-failure", DeliveryStatus.PERMANENT_FAILURE, "GOV.UK Notify reported permanent-failure"),
    ("temporary-failure", DeliveryStatus.TEMPORARY_FAILURE, "GOV.UK Notify reported temporary-failure"),
    ("technical-failure", DeliveryStatus.TEMPORARY_FAILURE, "GOV.UK Notify reported technical-failure"),
])
def test_failures_are_recorded_with_a_reason(client, sent_delivery, status, recorded, reason):
    assert post(client, receipt(sent_delivery, status)).status_code == 200
    sent_delivery.refresh_from_db()
    assert (sent_delivery.status, sent_delivery.failure_reason) == (recorded, reason)


def test_a_receipt_that_overtakes_the_worker_is_answered_409_and_applied_when_notify_calls_again(
        client, sent_delivery):
    """Notify can call back before the worker has written the notification id: the receipt cannot be
    matched yet, so Notify is asked (non-2xx) to call again, and then it is applied."""
    Delivery.objects.filter(pk=sent_delivery.pk).update(status=DeliveryStatus.SENDING, provider_reference="")
    worker_view = Delivery.objects.select_related("recipient").get(pk=sent_delivery.pk)
    early = post(client, receipt(sent_delivery, "delivered"))
    assert (early.status_code, early.json()) == (409, {"recorded": False, "retry": True})
    sent_delivery.refresh_from_db()
    assert sent_delivery.status == DeliveryStatus.SENDING
    assert settle(worker_view, DeliveryStatus.SENT, provider_reference=NOTIFICATION_ID) is True
    assert post(client, receipt(sent_delivery, "delivered")).json() == {"recorded": True}
    sent_delivery.refresh_from_db()
    assert sent_delivery.status == DeliveryStatus.DELIVERED


def test_a_receipt_naming_another_messages_delivery_changes_nothing_and_is_logged_without_the_address(
        client, sent_delivery, caplog):
    """The right token but another notification's id: an email sent by SMTP (its reference is the
    Message-ID) must not become a Notify permanent failure."""
    smtp_sent = sent_delivery.campaign.deliveries.exclude(pk=sent_delivery.pk).get()
    Delivery.objects.filter(pk=smtp_sent.pk).update(
        status=DeliveryStatus.SENT, attempts=1, claimed_at=clock.now(), sent_at=clock.now(),
        provider_reference="171234.1.5@mail.example.org")
    caplog.set_level("INFO", logger="notices.delivery")
    for delivery, status in ((smtp_sent, "permanent-failure"), (sent_delivery, "delivered")):
        body = receipt(sent_delivery, status) | {"reference": str(delivery.pk), "id": "0d5ae5b8-aaaa-bbbb-cccc-"
                                                                                      "1234567890ab"}
        response = post(client, body)
        assert (response.status_code, response.json()) == (200, {"recorded": False})
    assert dict(Delivery.objects.filter(pk__in=[smtp_sent.pk, sent_delivery.pk]).values_list("pk", "status")) == {
        smtp_sent.pk: DeliveryStatus.SENT, sent_delivery.pk: DeliveryStatus.SENT}
    assert f"delivery {smtp_sent.pk} ignored: its notification id is not the one recorded" in caplog.text
    assert "pat@example.com" not in caplog.text and "patient" not in caplog.text


@pytest.mark.parametrize("body", ["not json", "[1, 2]", json.dumps({"reference": "1"})])
def test_a_malformed_body_is_a_400(client, sent_delivery, body):
    assert post(client, body).status_code == 400


@pytest.mark.parametrize("reference", ["", "abc", "999999999", None])
def test_an_unknown_reference_is_acknowledged_and_ignored(client, sent_delivery, reference):
    body = receipt(sent_delivery, "delivered") | {"reference": reference}
    response = post(client, body)
    assert response.status_code == 200 and response.json() == {"recorded": False}
    sent_delivery.refresh_from_db()
    assert sent_delivery.status == DeliveryStatus.SENT


def test_an_intermediate_status_changes_nothing(client, sent_delivery):
    assert post(client, receipt(sent_delivery, "sending")).json() == {"recorded": False}


def test_only_post(client):
    response = client.get(reverse("campaigns:notify_callback"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405
