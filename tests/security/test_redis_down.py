"""Redis unreachable (issue 13, item 4), with the settings a deployment gets when REDIS_URL names a
port where nothing listens: broker, result backend and cache all there, nothing mocked.

Every page that queues work answers its normal success page at once (the work is committed and waits
in the database), the recovery beat task sends it once Redis is back, and the API keeps answering,
throttling against a local count. tests/notices/test_broker_down.py moves only the broker."""

from __future__ import annotations

import datetime as dt
import logging
import runpy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import strikeops
from notices.models import CampaignStatus, Delivery, DeliveryStatus, NoticeVersion, Subscription, SubscriptionStatus
from notices.services.notices import notice_create
from strikeops.celery import app
from tests.conftest import _forget_connections, celery_changes
from tests.factories import make_action
from tests.notices.delivery_support import make_campaign, recover, row, use_fast_delivery
from tests.security.test_faults import EMAIL_LIKE, closed_port
from trusts.api import throttling
from trusts.services.api_tokens import api_token_create

pytestmark = pytest.mark.django_db

# A request that commits work answers in well under this while Redis is down (it used to take ~19 s).
QUICK_SECONDS = 3.0


class RedisDown:
    """Apply the deployed settings for an unreachable REDIS_URL to Django and Celery; `back()`
    returns to the test settings (in-process tasks), as if Redis had come back."""

    def __init__(self, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.settings = settings
        url = f"redis://127.0.0.1:{closed_port()}/0"
        monkeypatch.setenv("REDIS_URL", url)
        deployed = runpy.run_path(str(Path(strikeops.__file__).parent / "settings.py"))
        assert deployed["CELERY_BROKER_URL"] == deployed["CELERY_RESULT_BACKEND"] == url
        assert deployed["CACHES"]["default"]["LOCATION"] == url
        self.before = {"REDIS_URL": settings.REDIS_URL, "CACHES": settings.CACHES}
        settings.REDIS_URL = url
        settings.CACHES = deployed["CACHES"]
        self.celery = {name[len("CELERY_"):].lower(): value for name, value in deployed.items()
                       if name.startswith("CELERY_") and name != "CELERY_BEAT_SCHEDULE"}
        assert self.celery["task_always_eager"] is False
        self.saved = {key: celery_changes(app)[key] for key in self.celery if key in celery_changes(app)}
        app.conf.update(**self.celery)
        _forget_connections(app)
        throttling._last_warning = 0.0
        throttling.LOCAL_COUNTS.clear()

    def back(self) -> None:
        for key in self.celery:
            celery_changes(app).pop(key, None)
        app.conf.update(**self.saved)
        _forget_connections(app)
        for name, value in self.before.items():
            setattr(self.settings, name, value)


@pytest.fixture
def redis_down(settings, monkeypatch) -> Iterator[RedisDown]:
    for _ in use_fast_delivery(settings):  # in-process sends through the recording channel, once back
        down = RedisDown(settings, monkeypatch)
        try:
            yield down
        finally:
            down.back()


def timed_post(client: Client, path: str, data: dict[str, str] | None = None) -> Any:
    started = time.monotonic()
    response = client.post(path, data or {}, follow=True)
    elapsed = time.monotonic() - started
    assert elapsed < QUICK_SECONDS, f"POST {path} took {elapsed:.1f} s with Redis down"
    assert response.status_code == 200
    return response


def test_send_now_shows_the_sending_page_and_the_recovery_task_sends_every_message_once(
        rwe, chris, redis_down, django_capture_on_commit_callbacks, caplog) -> None:
    campaign = make_campaign(rwe, chris, [row(i + 2, email=f"patient+{i}@example.com") for i in range(3)],
                             action=make_action(affected=["RWE"]))
    client = Client()
    client.force_login(chris)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        page = timed_post(client, reverse("campaigns:campaign", args=["RWE", campaign.pk]),
                          {"when": "now", "send": ""}).content.decode()
    assert "Sending 3 messages" in page
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert list(Delivery.objects.filter(campaign=campaign).values_list("status", "enqueued_at")) == [
        (DeliveryStatus.QUEUED, None)] * 3
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"notices.campaign_fan_out({campaign.pk}): Redis is unreachable" in logged
    assert not EMAIL_LIKE.search(logged)

    redis_down.back()
    recover()
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_publish_notice_shows_its_confirmation_and_the_recovery_task_emails_subscribers(
        rwe, chris, redis_down, django_capture_on_commit_callbacks) -> None:
    Subscription.objects.create(trust=rwe, email="ann@example.com", status=SubscriptionStatus.CONFIRMED,
                                confirmed_at=timezone.now() - dt.timedelta(days=1))
    notice = notice_create(trust=rwe, user=chris, title="Service update", body="We are sorry.", what_to_do="Attend.")
    client = Client()
    client.force_login(chris)
    with django_capture_on_commit_callbacks(execute=True):
        page = timed_post(client, reverse("notices:publish", args=["RWE", notice.pk])).content.decode()
    assert "Notice published. Subscribers are being emailed." in page
    assert mail.outbox == []

    redis_down.back()
    notice.refresh_from_db()
    NoticeVersion.objects.filter(pk=notice.current_version_id or 0).update(
        published_at=timezone.now() - dt.timedelta(minutes=11))
    recover()
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_subscribe_shows_check_your_email_and_the_confirmation_is_sent_in_the_request(
        rwe, redis_down, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        page = timed_post(Client(), reverse("notices:subscribe", args=["RWE"]),
                          {"email": "carol@example.com"}).content.decode()
    assert "Check your email" in page
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]
    assert "/notices/subscriptions/confirm/" in mail.outbox[0].body


def test_the_api_answers_and_throttles_locally_with_a_warning(
        rwe, ada, redis_down, settings, caplog) -> None:
    settings.API_THROTTLE_RATES = {"token": "3/minute", "anon": "2/minute"}
    client = Client()
    secret = api_token_create(user=ada, name="PAS").secret
    with caplog.at_level(logging.WARNING, logger="trusts.api.throttling"):
        started = time.monotonic()
        public = [client.get("/api/v1/releases/") for _ in range(3)]
        signed_in = [client.get("/api/v1/actions/", HTTP_AUTHORIZATION=f"Bearer {secret}") for _ in range(4)]
        elapsed = time.monotonic() - started
    assert [r.status_code for r in public] == [200, 200, 429]
    assert [r.status_code for r in signed_in] == [200, 200, 200, 429]
    assert public[0]["Content-Type"] == "application/json" and "results" in public[0].json()
    assert signed_in[2].json()["results"] is not None
    assert elapsed < QUICK_SECONDS * 2
    warnings = [r.getMessage() for r in caplog.records if r.name == "trusts.api.throttling"]
    # Logged once (per minute and process), not on every request.
    assert warnings == ["API throttling: the cache (Redis) is unreachable (ConnectionError); counting in this "
                        "process instead"]
    with pytest.raises(Exception, match=r"Connection refused|Error 111"):
        cache.get("anything")  # the cache really is the unreachable Redis
