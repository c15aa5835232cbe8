"""Acceptance: real Redis broker, real Celery worker processes, the recording test channel writing to
Redis so that this process can count what the worker sent."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from notices import tasks
from notices.channels import RedisSendRecord
from notices.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from notices.services.campaigns import campaign_start
from outbox.tasks import outbox_recover
from tests.notices.delivery_support import make_campaign, row

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "DELIVERY_CHANNEL": "test",
    "DELIVERY_RATE_PER_MINUTE": "600000",
    "DELIVERY_RETRY_BASE_SECONDS": "1",
    "DELIVERY_RETRY_MAX_SECONDS": "4",
    "DELIVERY_MAX_ATTEMPTS": "4",
    "DELIVERY_CHUNK_SIZE": "100",
    "DELIVERY_TEST_CHANNEL_DELAY_MS": "0",
}


def worker_env(**env: str) -> Callable:
    """Extra environment for the worker of one test."""
    def mark(test: Callable) -> Callable:
        test.worker_env = env  # type: ignore[attr-defined]
        return test
    return mark


@pytest.fixture(autouse=True)
def delivery_env(request, monkeypatch, settings):
    """The worker reads its settings from the environment when it starts (autouse: before the
    worker fixture copies the environment); this process gets the same through the settings fixture."""
    url = django_settings.TEST_REDIS_URL
    extra = getattr(request.function, "worker_env", {})
    for name, value in {**WORKER_ENV, "DELIVERY_REDIS_URL": url, **extra}.items():
        monkeypatch.setenv(name, value)
    settings.DELIVERY_CHANNELS = {"email": "test", "sms": "test", "letter": "test"}
    settings.DELIVERY_REDIS_URL = url
    settings.DELIVERY_RATE_PER_MINUTE = 600_000
    settings.DELIVERY_MAX_ATTEMPTS = 4
    settings.DELIVERY_CHUNK_SIZE = 100
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return monkeypatch


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.25,
             campaign: Campaign | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    state = ""
    if campaign is not None:
        campaign.refresh_from_db()
        counts = {k: v for k, v in service_progress(campaign)["counts"].items() if v}
        state = f" (campaign {campaign.status}, deliveries {counts})"
    pytest.fail(f"timed out after {timeout} s waiting for {what}{state}")


def finished(campaign: Campaign) -> bool:
    return Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENT).exists()


def test_2000_recipients_each_get_exactly_one_message_through_a_real_worker(rwe, chris, celery_worker_process):
    record = RedisSendRecord(django_settings.TEST_REDIS_URL)
    rows = []
    for i in range(2000):
        kind = "patient" if i < 1800 else "temp-fail-2" if i < 1900 else "perm-fail" if i < 1950 else "temp-fail"
        rows.append(row(i + 2, email=f"{kind}+{i}@example.com"))
    campaign = make_campaign(rwe, chris, rows)
    started = time.monotonic()
    campaign_start(campaign=campaign, user=chris)  # queues the fan-out on commit

    def recovered_and_finished() -> bool:
        # Beat's job, every second here: the due-retry sweep queues the retries (no task per retry).
        outbox_recover()
        return finished(campaign)

    wait_for(recovered_and_finished, 120, "the campaign to finish", every=1, campaign=campaign)
    elapsed = time.monotonic() - started

    by_line = dict(Delivery.objects.filter(campaign=campaign).values_list("recipient__line", "pk"))
    delivery_ids = sorted(by_line.values())
    progress = service_progress(campaign)
    assert progress["counts"][DeliveryStatus.DELIVERED] == 1900
    assert progress["counts"][DeliveryStatus.PERMANENT_FAILURE] == 100
    assert progress["done"] == progress["total"] == 2000 and progress["percent"] == 100

    attempts, sends = record.totals()
    delivered = set(Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.DELIVERED)
                    .values_list("pk", flat=True))
    assert sends == dict.fromkeys(delivered, 1)  # exactly once each, and nothing for the failures
    expected_attempts = {by_line[i + 2]: 1 if i < 1800 else 3 if i < 1900 else 1 if i < 1950 else 4
                         for i in range(2000)}
    assert attempts == expected_attempts
    gave_up = Delivery.objects.get(pk=by_line[1952 + 50 - 1])
    assert gave_up.failure_reason == "Simulated temporary failure (gave up after 4 attempts)"
    print(f"2,000 recipients finished in {elapsed:.1f} s")  # shown with -s

    # Re-queue every task there is: nothing new is sent.
    before = record.totals()
    assert tasks.campaign_fan_out.delay(campaign.pk).get(timeout=30) == 0
    results: list[Any] = [tasks.deliveries_send_range.delay(campaign.pk, first, first + 99)
               for first in range(delivery_ids[0], delivery_ids[-1] + 1, 100)]
    results += [tasks.deliveries_send_ids.delay(delivery_ids[i:i + 100])
                for i in range(0, len(delivery_ids), 100)]
    results.append(outbox_recover.delay())
    assert sum(r.get(timeout=30) or 0 for r in results[:-1]) == 0
    results[-1].get(timeout=30)
    assert record.totals() == before
    assert service_progress(campaign)["counts"][DeliveryStatus.DELIVERED] == 1900


def service_progress(campaign: Campaign) -> dict[str, Any]:
    from notices.selectors.delivery import campaign_progress

    return campaign_progress(campaign)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


# The test channel holds each accepted message 150 ms before answering (longer than the one database
# statement per message, even on a loaded machine), so that the kill lands while the provider has
# messages we have not yet recorded as sent.
@worker_env(DELIVERY_TEST_CHANNEL_DELAY_MS="150", DELIVERY_CHUNK_SIZE="20")
def test_a_worker_killed_mid_campaign_and_restarted_neither_loses_nor_repeats_a_message(
        rwe, chris, celery_worker_process, settings):
    from strikeops.celery import app

    record = RedisSendRecord(django_settings.TEST_REDIS_URL)
    total = 240
    campaign = make_campaign(rwe, chris, [row(i + 2, email=f"patient+{i}@example.com") for i in range(total)])
    campaign_start(campaign=campaign, user=chris)
    wait_for(lambda: len(record.totals()[1]) >= 40, 30, "the first sends")

    pid = celery_worker_process.process.pid
    pool = children_of(pid)
    os.kill(pid, signal.SIGKILL)
    for child in pool:  # the whole worker dies at once, as when its machine does
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    celery_worker_process.process.wait(timeout=10)
    sent_at_kill = len(record.totals()[1])
    assert sent_at_kill < total, "the campaign finished before the worker was killed"
    stuck = Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.SENDING).count()
    assert stuck >= 1, "the kill left no delivery mid-send"

    celery_worker_process.start()
    wait_for(lambda: bool(app.control.ping(timeout=0.5)), 60, "the worker to restart", every=0)
    # Beat's job, run here with short timeouts: release claims of the dead worker, queue again what
    # its lost messages held.
    settings.DELIVERY_SENDING_TIMEOUT_SECONDS = 2
    settings.DELIVERY_REQUEUE_AFTER_SECONDS = 2
    released = 0

    def recovered() -> bool:
        nonlocal released
        released += outbox_recover()["released"]
        return finished(campaign)

    wait_for(recovered, 60, "the campaign to finish after the restart", every=1, campaign=campaign)

    assert released >= stuck
    _, sends = record.totals()
    ids = set(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
    assert sends == dict.fromkeys(ids, 1)  # none lost, none twice
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED}
    # Some of the messages in flight at the kill had reached the provider: found there, not re-sent.
    assert Delivery.objects.filter(campaign=campaign, attempts=2).exists()
