"""Sends through GOV.UK Notify run concurrently within a worker (issue 13, item 7): a bounded thread
pool around the official client, against the fake Notify server (bench/fake_notify.py, a real HTTP
server in its own process) answering after 150 ms. The full-size measurement (4 worker processes,
3,000 a minute and >= 1,000 a second) is bench/bench_fanout.py --notify; figures in BENCHMARKS.md."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db.backends.signals import connection_created

from notices import tasks
from notices.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from notices.services import delivery as service
from tests.notices.delivery_support import make_campaign, row, use_fast_delivery
from tests.security.test_faults import closed_port
from trusts import clock

ROOT = Path(django_settings.BASE_DIR)
API_KEY = "strikeops_test-3a1f8c8e-6f0e-4c0c-9a53-2f0e5d3b8a11-c5f1a8d2-8b7e-4b8e-9d3c-7f2a1e6b4c90"
LATENCY = 0.15


class FakeNotifyProcess:
    def __init__(self) -> None:
        self.port = closed_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_notify.py"), "--port",
                                         str(self.port), "--latency-ms", str(LATENCY * 1000)],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().startswith("fake Notify on")

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/_stats", timeout=5) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def fake_notify(settings) -> Iterator[FakeNotifyProcess]:
    for _ in use_fast_delivery(settings):
        fake = FakeNotifyProcess()
        settings.DELIVERY_CHANNELS = {"email": "notify", "sms": "notify", "letter": "notify"}
        settings.NOTIFY_API_KEY, settings.NOTIFY_BASE_URL, settings.NOTIFY_TIMEOUT = API_KEY, fake.url, 5
        settings.NOTIFY_TEMPLATE_ID_SMS = "2f1b7c44-5d7e-4a0f-8a1e-3c6b9d2e4f10"
        try:
            yield fake
        finally:
            fake.stop()


def sending_campaign(trust, user, count: int) -> Campaign:
    campaign = make_campaign(trust, user, [row(i + 2, phone=f"+4477009{i:05d}") for i in range(count)],
                             channel="sms")
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, started_at=clock.now(),
                                                   figures={"trust_name": trust.name})
    return campaign


# Claims and outcomes are committed as in a worker (the fake Notify is another process).
@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_the_configured_number_of_notify_calls_in_flight_and_sends_each_once(
        rwe, chris, fake_notify, settings) -> None:
    settings.DELIVERY_SEND_THREADS = 8
    campaign = sending_campaign(rwe, chris, 48)
    ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
    started = time.monotonic()
    assert tasks.deliveries_send_ids(ids) == 48
    elapsed = time.monotonic() - started
    stats = fake_notify.stats()
    assert (stats["accepted"], stats["duplicates"]) == (48, 0)
    assert stats["peak_in_flight"] == 8  # bounded by DELIVERY_SEND_THREADS, and reached
    # One at a time would take 48 x 150 ms = 7.2 s; 8 at a time is 6 rounds, 0.9 s plus the engine.
    assert elapsed < 3.5, f"{elapsed:.1f} s"
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {DeliveryStatus.SENT}
    # Each recorded notification id is the one Notify gave that delivery (receipts match on it).
    assert Delivery.objects.filter(campaign=campaign).values("provider_reference").distinct().count() == 48


@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_holds_across_the_threads(rwe, chris, fake_notify, settings) -> None:
    settings.DELIVERY_SEND_THREADS = 8
    settings.DELIVERY_RATE_PER_MINUTE = 1200  # 20 a second, a bucket of 20
    campaign = sending_campaign(rwe, chris, 60)
    ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
    started = time.monotonic()
    assert tasks.deliveries_send_ids(ids) == 60
    elapsed = time.monotonic() - started
    # 20 at once from the full bucket, then 40 more at 20 a second: at least 2 s, whatever the threads.
    assert elapsed >= 1.9, f"{elapsed:.1f} s"
    assert fake_notify.stats()["accepted"] == 60


@pytest.mark.django_db(transaction=True)
def test_the_send_threads_never_open_a_database_connection(rwe, chris, fake_notify, settings) -> None:
    """Threads only make the calls; claims and outcomes are written on the task's own connection, so
    a worker needs one connection per process whatever DELIVERY_SEND_THREADS is (64 threads x 4
    processes once wanted 256, over max_connections)."""
    settings.DELIVERY_SEND_THREADS = 8
    campaign = sending_campaign(rwe, chris, 24)
    ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
    opened: list[str] = []

    def note(sender, connection, **kwargs) -> None:
        opened.append(threading.current_thread().name)

    connection_created.connect(note)
    try:
        assert service.deliveries_send_ids(delivery_ids=ids).sent == 24
    finally:
        connection_created.disconnect(note)
    assert fake_notify.stats()["peak_in_flight"] == 8
    assert [name for name in opened if name.startswith("delivery-send")] == []
