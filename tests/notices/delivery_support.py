"""Builders shared by the tests/notices/test_delivery_*.py modules (imported, not collected)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from unittest import mock

from django.test import TestCase
from django.utils import timezone

from notices import tasks
from notices.channels import MemorySendRecord, recording_channel_record
from notices.models import Campaign, Channel, Delivery, MessageTemplate
from notices.services.delivery import _CAMPAIGN_SENDING_SQL, _result, campaign_create
from outbox import engine as outbox
from outbox.tasks import outbox_recover
from trusts.models import Trust

FAST = {
    "DELIVERY_CHANNELS": {"email": "test", "sms": "test", "letter": "test"},
    "DELIVERY_RATE_PER_MINUTE": 6_000_000,
    "DELIVERY_REDIS_URL": "",
    "REDIS_URL": "",
    "CELERY_BROKER_URL": "memory://",
    "DELIVERY_MAX_ATTEMPTS": 5,
    "DELIVERY_RETRY_BASE_SECONDS": 60,
    "DELIVERY_RETRY_MAX_SECONDS": 3600,
    "DELIVERY_CHUNK_SIZE": 7,
    "DELIVERY_TEST_CHANNEL_DELAY_MS": 0,
    "NOTIFY_CALLBACK_TOKEN": "callback-token-for-tests",
}


def use_fast_delivery(settings: Any) -> Iterator[MemorySendRecord]:
    """For a module's `fast_delivery` fixture: in-process tasks, the recording test channel in
    memory, no rate limit to speak of. Yields the channel's record of attempts and sends."""
    for name, value in FAST.items():
        setattr(settings, name, value)
    record = recording_channel_record()
    assert isinstance(record, MemorySendRecord)
    record.clear()
    yield record
    record.clear()


def make_template(trust: Trust | None, channel: str = Channel.EMAIL, **fields: Any) -> MessageTemplate:
    defaults = {
        Channel.EMAIL: ("Your appointment at ((trust_name))",
                        "Dear ((name)), your appointment on ((appointment_date)) is moved. ((trust_name))"),
        Channel.SMS: ("", "((trust_name)): ((name)), your appointment on ((appointment_date)) is moved."),
        Channel.LETTER: ("Your appointment", "Dear ((name)), your appointment on ((appointment_date)) is moved."),
    }[Channel(channel)]
    values = {"name": f"Apology {channel}", "channel": channel, "subject": defaults[0], "body": defaults[1]}
    values.update(fields)
    return MessageTemplate.objects.create(trust=trust, **values)


def row(line: int, *, email: str = "", phone: str = "", nhs_number: str = "",
        address_lines: list[str] | None = None, name: str = "Alex") -> dict[str, Any]:
    return {"line": line, "email": email, "phone": phone, "nhs_number": nhs_number,
            "address_lines": address_lines or [],
            "personalisation": {"name": f"{name} {line}", "appointment_date": "12 April 2023"}}


def email_rows(count: int, *, start: int = 2, local: str = "patient") -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield row(start + i, email=f"{local}+{i}@example.com", nhs_number="9434765919")


def make_campaign(trust: Trust, user: Any, rows: Any, *, channel: str = Channel.EMAIL, action: Any = None,
                  template: MessageTemplate | None = None) -> Campaign:
    template = template or make_template(trust, channel)
    return campaign_create(trust=trust, template=template, action=action, channel=channel, rows=rows, user=user)


def run_task(task: Any, *args: Any) -> Any:
    """A task run in this process as a worker runs it. A worker works in autocommit, so what the task
    queues with delay_on_commit is published at once; inside a test's transaction it runs when the
    task returns (then what that queues, and so on: the tests' settings run tasks in-process)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return task.delay(*args).get()


def recover() -> dict[str, int]:
    """The outbox recovery task (beat), at the time trusts.clock gives; its report."""
    report: dict[str, int] = run_task(outbox_recover)
    return report


def recover_later(seconds: int) -> dict[str, int]:
    """The outbox recovery task run `seconds` from now (Django's clock and trusts.clock both moved):
    due retries are queued and sent."""
    later = timezone.now() + dt.timedelta(seconds=seconds)
    with mock.patch("django.utils.timezone.now", return_value=later), \
            mock.patch("trusts.clock.now", return_value=later):
        return recover()


def send_one(delivery_id: int) -> str:
    """One delivery through the workers' send task (claim, send, one outcome write); its status after."""
    run_task(tasks.deliveries_send_ids, [delivery_id])
    return Delivery.objects.get(pk=delivery_id).status


def claim(delivery_id: int, now: dt.datetime, attempts: int = 0) -> bool:
    """The send loop's claim of one delivery, as a worker makes it."""
    return outbox.claim(Delivery, delivery_id, attempts=attempts, now=now, condition_sql=_CAMPAIGN_SENDING_SQL)


def settle(delivery: Delivery, status: str, **details: Any) -> bool:
    """The send loop's outcome write for one delivery, as a worker makes it."""
    return outbox.write(Delivery, _result(delivery, status, **details))
