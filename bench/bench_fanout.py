"""Message fan-out: campaigns of N recipients through real Redis and real Celery workers.

    python bench/bench_fanout.py --recipients 100k --recipients 1M

One Celery worker (prefork, 2 processes) against BENCH_REDIS_URL, with the delivery engine's real
tasks (notices.tasks_delivery) and the development "log" channel with logging at WARNING: a channel
that sends nothing and costs nothing, so what is measured is the engine (claims, rendering, rate
limiter, outcomes, progress). The rate limit is raised out of the way (DELIVERY_RATE_PER_MINUTE
6,000,000) but still consulted for every message, as in production.

For each size: recipients and deliveries are written with COPY, the campaign is started with
campaign_start (which queues the fan-out after commit), and the clock runs until the campaign is
"sent". Messages per second end to end, and the peak RSS of each worker process (VmHWM).

In the same run, the bare Celery rate: N no-op tasks (bench/celery_noop.py) published first, then
timed from the worker's start to the last one's completion, with the same worker settings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    REDIS_URL,
    ROOT,
    bench_env,
    parse_scale,
    print_table,
    process_peak_rss_mb,
    setup_django,
    write_results,
)

WORKER_ENV = {
    "DELIVERY_CHANNEL": "log",
    "DELIVERY_RATE_PER_MINUTE": "6000000",
    "BENCH_REDIS_URL": REDIS_URL,
    "PYTHONPATH": str(ROOT / "bench"),
}
NOOP_TASKS = 20_000


def start_worker() -> subprocess.Popen:  # type: ignore[type-arg]
    command = [str(Path(sys.executable).parent / "celery"), "-A", "strikeops", "worker", "--pool=prefork",
               "--concurrency=2", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip",
               "--without-mingle", "--include", "celery_noop", "-n", f"bench-{os.getpid()}@%h"]
    return subprocess.Popen(command, cwd=ROOT, env=bench_env(**WORKER_ENV), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def worker_pids(worker: subprocess.Popen) -> list[int]:  # type: ignore[type-arg]
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [worker.pid, *kids]


def stop_worker(worker: subprocess.Popen) -> None:  # type: ignore[type-arg]
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_ready(worker: subprocess.Popen, timeout: float = 60) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"The worker stopped:\n{worker.stderr.read() if worker.stderr else ''}")
        if len(worker_pids(worker)) >= 3:
            return
        time.sleep(0.2)
    raise SystemExit("The worker did not start its 2 processes in time.")


def make_campaign(count: int):  # type: ignore[no-untyped-def]
    """A draft campaign of `count` email recipients, written with COPY."""
    from django.db import connection, transaction
    from django.utils import timezone

    from notices.models import Campaign, MessageTemplate
    from trusts.models import Trust

    trust = Trust.objects.order_by("pk").first()
    template, _ = MessageTemplate.objects.get_or_create(
        trust=trust, name="Bench apology", channel="email",
        defaults={"subject": "Your appointment at ((trust_name))",
                  "body": "Dear ((name)), your appointment on ((appointment_date)) (reference "
                          "((appointment_reference))) has been rescheduled. We apologise.",
                  "recipient_columns": ["name", "appointment_date", "appointment_reference"]})
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.create(trust=trust, template=template, channel="email", subject=template.subject,
                                           body=template.body, recipient_count=count)
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM notices_recipient")
            base = cursor.fetchone()[0]
            raw = cursor.cursor
            with raw.copy("COPY notices_recipient (id, campaign_id, line, email, personalisation) FROM STDIN") as copy:
                for n in range(1, count + 1):
                    copy.write_row([base + n, campaign.pk, n + 1, f"patient{n}@example.invalid", json.dumps(
                        {"name": f"Patient {n}", "appointment_date": "12 April 2023",
                         "appointment_reference": f"REF{n:08d}"})])
            with raw.copy("COPY notices_delivery (campaign_id, recipient_id, status, attempts, provider_reference, "
                          "failure_reason, created_at) FROM STDIN") as copy:
                for n in range(1, count + 1):
                    copy.write_row([campaign.pk, base + n, "queued", 0, "", "", now])
            cursor.execute("SELECT setval(pg_get_serial_sequence('notices_recipient', 'id'), %s)", [base + count])
            cursor.execute("ANALYZE notices_delivery")
            cursor.execute("ANALYZE notices_recipient")
    return campaign


def run_campaign(count: int, timeout: float) -> dict[str, object]:
    from notices.models import Campaign, Delivery
    from notices.services.delivery import campaign_start

    setup_started = time.perf_counter()
    campaign = make_campaign(count)
    setup_seconds = time.perf_counter() - setup_started
    worker = start_worker()
    try:
        wait_ready(worker)
        pids = worker_pids(worker)
        started = time.perf_counter()
        campaign_start(campaign=campaign, user=None)
        peaks: dict[int, float] = {}
        while True:
            for pid in pids:
                peaks[pid] = max(peaks.get(pid, 0), process_peak_rss_mb(pid) or 0)
            status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).get()
            if status == "sent":
                break
            if time.perf_counter() - started > timeout:
                done = Delivery.objects.filter(campaign=campaign, status="delivered").count()
                raise SystemExit(f"Timed out after {timeout:.0f} s with {done:,} of {count:,} delivered.")
            time.sleep(0.25)
        seconds = time.perf_counter() - started
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), process_peak_rss_mb(pid) or 0)
    finally:
        stop_worker(worker)
    delivered = Delivery.objects.filter(campaign=campaign, status="delivered").count()
    rss = [round(peaks[pid]) for pid in pids]
    return {"what": "campaign", "recipients": count, "delivered": delivered, "seconds": round(seconds, 1),
            "per_second": round(delivered / seconds), "setup_s": round(setup_seconds, 1),
            "rss_main_mb": rss[0], "rss_child1_mb": rss[1], "rss_child2_mb": rss[2]}


def run_noop(count: int, timeout: float) -> dict[str, object]:
    import redis
    from celery_noop import noop

    client = redis.Redis.from_url(REDIS_URL)
    client.delete("bench:noop:done")
    with noop.app.producer_pool.acquire(block=True) as producer:
        for _ in range(count):
            noop.apply_async(producer=producer)
    worker = start_worker()
    try:
        wait_ready(worker)
        pids = worker_pids(worker)
        started = time.perf_counter()
        while int(client.get("bench:noop:done") or 0) < count:
            if time.perf_counter() - started > timeout:
                raise SystemExit("Timed out waiting for the no-op tasks.")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        rss = [round(process_peak_rss_mb(pid) or 0) for pid in pids]
    finally:
        stop_worker(worker)
    return {"what": "bare no-op tasks", "recipients": count, "delivered": count, "seconds": round(seconds, 1),
            "per_second": round(count / seconds), "setup_s": "", "rss_main_mb": rss[0], "rss_child1_mb": rss[1],
            "rss_child2_mb": rss[2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", action="append", default=None, help="Campaign size: 100k, 1M (repeatable).")
    parser.add_argument("--timeout", type=float, default=1800, help="Seconds per campaign before giving up.")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in WORKER_ENV.items() if k != "PYTHONPATH"})
    setup_django()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # the benchmark's own Redis db: broker, results, rate bucket
    rows = [run_noop(NOOP_TASKS, args.timeout)]
    for label in args.recipients or ["100k", "1M"]:
        rows.append(run_campaign(parse_scale(label), args.timeout))
    bare = rows[0]["per_second"]
    for row in rows[1:]:
        row["of_bare"] = f"{100 * row['per_second'] / bare:.0f}%"  # type: ignore[operator]
    print_table(f"fan-out (2 worker processes; {dt.datetime.now():%H:%M})",
                ["what", "recipients", "delivered", "seconds", "per_second", "of_bare", "setup_s", "rss_main_mb",
                 "rss_child1_mb", "rss_child2_mb"], rows)
    write_results("fanout", {"rows": rows})


if __name__ == "__main__":
    main()
