"""Three Celery queues (docs/delivery.md, "Queues"): bulk campaign sends, transactional email and
housekeeping, each task routed to its own, and every worker command consuming all three."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from strikeops.celery import app

REPO = Path(__file__).resolve().parents[2]
QUEUES = {"bulk", "transactional", "housekeeping"}


@pytest.fixture(autouse=True)
def tasks_loaded() -> None:
    """What a worker imports when it starts: CELERY_IMPORTS and the apps' tasks modules."""
    app.loader.import_default_modules()


@pytest.mark.parametrize(("task", "queue"), [
    ("notices.campaign_fan_out", "bulk"),
    ("notices.deliveries_send_range", "bulk"),
    ("notices.deliveries_send_ids", "bulk"),
    ("notices.notify_subscribers", "transactional"),
    ("notices.send_subscriber_email", "transactional"),
    ("trusts.send_return_reminders", "transactional"),
    ("outbox.recover", "housekeeping"),
    ("notices.campaigns_purge", "housekeeping"),
])
def test_each_task_is_routed_to_its_queue(task: str, queue: str) -> None:
    assert task in app.tasks, f"{task} is not a registered task"
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_beat_task_and_every_registered_task_of_ours_has_a_queue_of_the_three() -> None:
    ours = [name for name in app.tasks if name.split(".")[0] in ("notices", "trusts", "strikeops")]
    assert ours
    for name in ours:
        assert app.amqp.router.route({}, name)["queue"].name in QUEUES, name
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_a_worker_consumes_all_three_queues() -> None:
    assert set(app.amqp.queues) == QUEUES  # a worker started without -Q
    procfile = (REPO / "Procfile").read_text()
    makefile = (REPO / "Makefile").read_text()
    worker_lines = [line for line in procfile.splitlines() if line.startswith("worker:")]
    worker_lines += [line for line in makefile.splitlines() if "celery -A strikeops worker" in line]
    assert len(worker_lines) >= 2  # Procfile, make worker
    # make run runs the Procfile's own worker line (scripts/run_processes.py).
    assert 'parse_procfile((REPO / "Procfile")' in (REPO / "scripts" / "run_processes.py").read_text()
    for line in worker_lines:
        match = re.search(r"-Q (\S+)", line)
        assert match and set(match.group(1).split(",")) == QUEUES, line


def test_retries_are_not_queued_one_task_each() -> None:
    """Retries wait in the database and the recovery task's sweep queues the due ones in chunks:
    nothing in the code queues a send with a countdown or an ETA (which the broker would hold
    unacknowledged past its visibility timeout, and which ran at a quarter of the rate)."""
    for path in (REPO / "notices").rglob("*.py"):
        text = path.read_text()
        assert "countdown=" not in text and "eta=" not in text, path
