"""The SIGKILL fault harness: real Celery workers killed at random points while two campaigns go out,
one by email through a real SMTP server (aiosmtpd) and one by text message through a fake GOV.UK
Notify HTTP server. Used by tests/notices/test_delivery_faults.py (a few kills, in `make test`) and
bench/bench_faults.py (20 kills, figures for BENCHMARKS.md). Imported, not collected.

What is counted is what the providers received, not what our database says: a message lost is one
the provider never got; a duplicate is a second copy the provider got.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

from django.db.models import Count

from notices.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from notices.services.campaigns import campaign_start
from outbox.tasks import outbox_recover
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]



class SmtpSink:
    """A real SMTP server (aiosmtpd) that counts the messages it accepted per delivery id (the
    X-Strikeops-Delivery header). `delay` holds each reply after the message is counted: the window
    in which the server has a message and the worker has not yet heard so."""

    def __init__(self, delay: float = 0.0, port: int | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.received: Counter[int] = Counter()
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                delivery = message_from_bytes(envelope.content).get("X-Strikeops-Delivery")
                if delivery:
                    with sink.lock:
                        sink.received[int(delivery)] += 1
                if delay:
                    await asyncio.sleep(delay)
                return "250 Message accepted for delivery"

        self.port = port or free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


class Workers:
    """`count` Celery workers (prefork, `concurrency` processes each), each in its own process group
    so that a whole worker (main process and pool) can be killed at once, as when its machine dies."""

    def __init__(self, env: dict[str, str], *, count: int = 2, concurrency: int = 2) -> None:
        self.env, self.concurrency = env, concurrency
        self.processes: list[subprocess.Popen[bytes]] = [self._start(i) for i in range(count)]
        for process in self.processes:
            self._wait_ready(process)

    def _start(self, index: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "strikeops", "worker", "--loglevel=ERROR", "--pool=prefork",
             f"--concurrency={self.concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"fault{index}-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=REPO, env=self.env, start_new_session=True,
        )

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"a celery worker exited with {process.returncode}")
            if len(self.pool(process)) >= self.concurrency:
                return
            time.sleep(0.1)
        raise RuntimeError("a celery worker did not start its pool in time")

    @staticmethod
    def pool(process: subprocess.Popen[bytes]) -> list[int]:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        return []

    def kill_pool_process(self, rng: random.Random) -> None:
        """SIGKILL one pool process of one worker; its main process starts a new one."""
        process = rng.choice(self.processes)
        pool = self.pool(process)
        if pool:
            with contextlib.suppress(ProcessLookupError):
                os.kill(rng.choice(pool), signal.SIGKILL)

    def kill_worker(self, rng: random.Random) -> None:
        """SIGKILL a whole worker (main process and pool), then start a new one, as a supervisor would."""
        index = rng.randrange(len(self.processes))
        process = self.processes[index]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self.processes[index] = self._start(index)
        self._wait_ready(self.processes[index])

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass
class Kill:
    kind: str  # "pool process" or "whole worker"
    at: float
    in_flight: int  # deliveries "sending" at the moment of the kill (all workers)
    resumed_after: float | None = None  # until no delivery claimed before the kill was still "sending"


@dataclass
class FaultRun:
    kills: list[Kill] = field(default_factory=list)
    seconds: float = 0.0
    processes_killed: int = 0
    smtp_lost: int = 0
    smtp_duplicates: int = 0
    notify_lost: int = 0
    notify_duplicates: int = 0
    possibly_duplicated: int = 0
    unfinished: dict[str, int] = field(default_factory=dict)


def _claimed_before_still_sending(moment: Any) -> bool:
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lte=moment).exists()


def run_kills(*, workers: Workers, kinds: list[str], campaigns: list[Campaign], sink: SmtpSink, notify: Any,
              rng: random.Random, gap: tuple[float, float], recover_every: float, timeout: float,
              recover: Callable[[], object] = outbox_recover) -> FaultRun:
    """Start the campaigns, kill as `kinds` says at random gaps, run the recovery task every
    `recover_every` seconds (beat's job), wait until every campaign has finished, and count."""
    from trusts import clock

    run = FaultRun()
    started = time.monotonic()
    for campaign in campaigns:
        campaign_start(campaign=campaign, user=None)
    last_recover = time.monotonic()
    pending: list[tuple[Kill, Any]] = []

    def tick() -> None:
        nonlocal last_recover
        if time.monotonic() - last_recover >= recover_every:
            recover()
            last_recover = time.monotonic()
        for kill, moment in list(pending):
            if not _claimed_before_still_sending(moment):
                kill.resumed_after = round(time.monotonic() - kill.at, 1)
                pending.remove((kill, moment))
        time.sleep(0.2)

    for kind in kinds:
        wake = time.monotonic() + rng.uniform(*gap)
        while time.monotonic() < wake:
            tick()
        moment = clock.now()
        in_flight = Delivery.objects.filter(status=DeliveryStatus.SENDING).count()
        if kind == "whole worker":
            workers.kill_worker(rng)
            run.processes_killed += workers.concurrency
        else:
            workers.kill_pool_process(rng)
            run.processes_killed += 1
        kill = Kill(kind=kind, at=time.monotonic(), in_flight=in_flight)
        run.kills.append(kill)
        pending.append((kill, moment))

    deadline = time.monotonic() + timeout
    ids = [c.pk for c in campaigns]
    while time.monotonic() < deadline and (
            pending or Campaign.objects.filter(pk__in=ids).exclude(status=CampaignStatus.SENT).exists()):
        tick()
    run.seconds = round(time.monotonic() - started, 1)
    run.unfinished = dict(Delivery.objects.filter(campaign_id__in=ids).exclude(
        status__in=[DeliveryStatus.SENT, DeliveryStatus.DELIVERED]).values_list("status").annotate(
        n=Count("pk")).order_by())

    for campaign in campaigns:
        delivery_ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
        if campaign.channel == "email":
            copies = Counter({pk: sink.received.get(pk, 0) for pk in delivery_ids})
            run.smtp_lost += sum(1 for n in copies.values() if n == 0)
            run.smtp_duplicates += sum(n - 1 for n in copies.values() if n > 1)
        else:
            posted = Counter(int(post["reference"]) for post in list(notify.posts))
            run.notify_lost += sum(1 for pk in delivery_ids if posted.get(pk, 0) == 0)
            run.notify_duplicates += sum(posted[pk] - 1 for pk in delivery_ids if posted.get(pk, 0) > 1)
    run.possibly_duplicated = Delivery.objects.filter(campaign_id__in=ids, possibly_duplicated=True).count()
    return run
