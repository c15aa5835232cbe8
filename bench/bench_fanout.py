"""Message fan-out: campaigns of N recipients through real Redis and real Celery workers.

    python bench/bench_fanout.py --recipients 100k --recipients 1M

One Celery worker (prefork, 2 processes) against BENCH_REDIS_URL, with the delivery engine's real
tasks (notices.tasks) and the development "log" channel with logging at WARNING: a channel
that sends nothing and costs nothing, so what is measured is the engine (claims, rendering, rate
limiter, outcomes, progress). The rate limit is raised out of the way (DELIVERY_RATE_PER_MINUTE
6,000,000) but still consulted for every message, as in production.

For each size: recipients and deliveries are written with COPY, the campaign is started with
campaign_start (which queues the fan-out after commit), and the clock runs until the campaign is
"sent". Messages per second end to end, and the peak RSS of each worker process (VmHWM).

In the same run, the bare Celery rate: N no-op tasks (bench/celery_noop.py) published first, then
timed from the worker's start to the last one's completion, with the same worker settings; and the
like-for-like floor before each campaign: the same database and Redis work without Celery (the rate
limiter's Redis script for each claim, the same claim statement per group of up to 50 and the same
outcome write and commit per message) in a plain loop in this one process, on a campaign made the
same way. The table's title states the production rate limit (3,000 a minute = 50 a second) beside
the raised one: every figure here is what the engine could do, not what production is allowed to send.

    python bench/bench_fanout.py --notify --notify-recipients 6000 --notify-threads 64

GOV.UK Notify throughput: the same engine through the real Notify channel (the official client)
against bench/fake_notify.py, a fake Notify answering every call after 150 ms, with the default
worker set (the Procfile's 4 prefork processes). First the fake's own rate with a bare asyncio client
(256 keep-alive connections), to show it is not the limit; then three runs, one after another:
one call at a time per process (DELIVERY_SEND_THREADS=1, how the channel sent before), the default
threads at the default rate limit (3,000 a minute), then the limit raised out of the way with
--notify-threads threads per process. Messages per second over the campaign, the most calls the
fake server had in flight at once, and the CPU milliseconds per message of the worker processes and
of the fake (from /proc: where the limit is on a machine with few cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notices.models import Campaign

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
WORKER_LOGS: dict[int, Path] = {}
# What production sends at: GOV.UK Notify's 3,000 messages a minute per key (settings default).
PRODUCTION_RATE_PER_MINUTE = 3000


def start_worker(concurrency: int = 2, **env: str) -> subprocess.Popen[str]:
    command = [str(Path(sys.executable).parent / "celery"), "-A", "strikeops", "worker", "--pool=prefork",
               f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip",
               "--without-mingle", "--include", "celery_noop", "-n", f"bench-{os.getpid()}@%h"]
    # Its log goes to a file: a pipe nobody reads fills up (64 KB) and stops the worker mid-run.
    log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
    with log.open("w") as handle:
        worker = subprocess.Popen(command, cwd=ROOT, env=bench_env(**{**WORKER_ENV, **env}),
                                  stdout=subprocess.DEVNULL, stderr=handle, text=True)
    WORKER_LOGS[worker.pid] = log
    return worker


def worker_pids(worker: subprocess.Popen[str]) -> list[int]:
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [worker.pid, *kids]


def stop_worker(worker: subprocess.Popen[str]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_ready(worker: subprocess.Popen[str], timeout: float = 60, processes: int = 2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"The worker stopped:\n{WORKER_LOGS[worker.pid].read_text()[-4000:]}")
        if len(worker_pids(worker)) >= processes + 1:
            return
        time.sleep(0.2)
    raise SystemExit(f"The worker did not start its {processes} processes in time.")


def make_campaign(count: int, trust_index: int = 0) -> Campaign:
    """A draft campaign of `count` email recipients, written with COPY."""
    from django.db import connection, transaction
    from django.utils import timezone

    from notices.models import Campaign, MessageTemplate
    from notices.services.opt_outs import opt_out_keys
    from trusts.models import Trust

    trust = Trust.objects.order_by("pk")[trust_index]
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
            with raw.copy("COPY notices_recipient (id, campaign_id, line, email, personalisation, opt_out_keys) "
                          "FROM STDIN") as copy:
                for n in range(1, count + 1):
                    email = f"patient{n}@example.invalid"
                    copy.write_row([base + n, campaign.pk, n + 1, email, json.dumps(
                        {"name": f"Patient {n}", "appointment_date": "12 April 2023",
                         "appointment_reference": f"REF{n:08d}"}), json.dumps(opt_out_keys(email=email))])
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
    from notices.services.campaigns import campaign_start

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


def run_floor(count: int) -> dict[str, object]:
    """The like-for-like floor: the database and Redis work of the send loop without Celery, in a
    plain loop in this one process: the rate-limit tokens (the same Redis script, raised limit), the
    same claim statement per group and the same outcome write per message, committed the same way
    (synchronous_commit off), on a campaign made the same way. No rendering, no channel, no task."""
    from django.utils import timezone

    from notices.models import Campaign, Delivery
    from notices.ratelimit import get_rate_limiter
    from notices.services.delivery import _CAMPAIGN_SENDING_SQL, CLAIM_BATCH_SIZE
    from outbox import engine as outbox

    campaign = make_campaign(count, trust_index=4)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending", started_at=timezone.now())
    rows = list(Delivery.objects.filter(campaign=campaign).order_by("pk").values_list("pk", "attempts"))
    limiter = get_rate_limiter()
    sent = 0
    started = time.perf_counter()
    with outbox.outcomes_committed_without_flush():
        position = 0
        while position < len(rows):
            taken = limiter.acquire_many(min(CLAIM_BATCH_SIZE, len(rows) - position))
            chunk, position = rows[position:position + taken], position + taken
            now = timezone.now()
            claimed = outbox.claim_many(Delivery, chunk, now=now, condition_sql=_CAMPAIGN_SENDING_SQL)
            for pk, attempts in chunk:
                if pk in claimed:
                    result = outbox.outcome(pk, attempts=attempts + 1, status="delivered", now=timezone.now(),
                                            provider_reference=f"log-{pk}", outcome_unknown=False)
                    sent += outbox.write(Delivery, result)
    seconds = time.perf_counter() - started
    return {"what": "floor: same SQL + Redis, plain loop, 1 process", "recipients": count, "delivered": sent,
            "seconds": round(seconds, 1), "per_second": round(sent / seconds), "setup_s": "", "rss_main_mb": "",
            "rss_child1_mb": "", "rss_child2_mb": ""}


NOTIFY_API_KEY = "bench-3a1f8c8e-6f0e-4c0c-9a53-2f0e5d3b8a11-c5f1a8d2-8b7e-4b8e-9d3c-7f2a1e6b4c90"
NOTIFY_PROCESSES = 4  # the Procfile's default --concurrency


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (/proc/<pid>/stat, clock ticks)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def fake_notify_stats(url: str, reset: bool = False) -> dict[str, int]:
    import urllib.request

    path, method = ("/_reset", "POST") if reset else ("/_stats", "GET")
    request = urllib.request.Request(f"{url}{path}", method=method)  # noqa: S310 (the local fake)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the local fake)
        stats: dict[str, int] = json.loads(response.read())
        return stats


def run_notify(count: int, threads: int, rate: int, label: str, notify_url: str, timeout: float,
               trust_index: int, fake_pid: int) -> dict[str, object]:
    """One campaign through the Notify channel, 4 worker processes of `threads` send threads each."""
    from notices.models import Campaign, Delivery
    from notices.services.campaigns import campaign_start

    fake_notify_stats(notify_url, reset=True)
    # Its own trust: an earlier run's opt-outs or template never touch this one.
    campaign = make_campaign(count, trust_index)
    worker = start_worker(NOTIFY_PROCESSES, DELIVERY_CHANNEL="notify", NOTIFY_API_KEY=NOTIFY_API_KEY,
                          NOTIFY_BASE_URL=notify_url, NOTIFY_TEMPLATE_ID_EMAIL="f33517ff-2a88-4f6e-b855-c550268ce08a",
                          DELIVERY_SEND_THREADS=str(threads), DELIVERY_RATE_PER_MINUTE=str(rate))
    try:
        wait_ready(worker, processes=NOTIFY_PROCESSES)
        pids = worker_pids(worker)
        cpu_before, fake_before = cpu_seconds(pids), cpu_seconds([fake_pid])
        started = time.perf_counter()
        campaign_start(campaign=campaign, user=None)
        while Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).get() != "sent":
            if time.perf_counter() - started > timeout:
                done = Delivery.objects.filter(campaign=campaign, status="sent").count()
                raise SystemExit(f"Timed out after {timeout:.0f} s with {done:,} of {count:,} sent.")
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        worker_cpu, fake_cpu = cpu_seconds(pids) - cpu_before, cpu_seconds([fake_pid]) - fake_before
    finally:
        stop_worker(worker)
    sent = Delivery.objects.filter(campaign=campaign, status="sent").count()
    stats = fake_notify_stats(notify_url)
    return {"what": label, "processes": NOTIFY_PROCESSES, "threads": threads, "limit_per_min": f"{rate:,}",
            "recipients": count, "sent": sent, "duplicates": stats["duplicates"], "seconds": round(seconds, 1),
            "per_second": round(sent / seconds), "peak_in_flight": stats["peak_in_flight"],
            "worker_cpu_ms_per_msg": round(1000 * worker_cpu / max(1, sent), 2),
            "fake_cpu_ms_per_msg": round(1000 * fake_cpu / max(1, sent), 2)}


def run_fake_alone(url: str, count: int, concurrency: int, fake_pid: int) -> dict[str, object]:
    """The fake Notify's own capacity: `count` POSTs from `concurrency` keep-alive connections of a
    bare asyncio client (no Notify client, no database), so that the fake is shown not to be the limit."""
    import asyncio

    fake_notify_stats(url, reset=True)
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"phone_number": "+447700900000", "template_id": "t", "reference": "r",
                       "personalisation": {"body": "x" * 200}}).encode()
    request = (f"POST /v2/notifications/sms HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def client(share: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for _ in range(share):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            await reader.readexactly(length)
        writer.close()

    async def everyone() -> None:
        await asyncio.gather(*(client(count // concurrency) for _ in range(concurrency)))

    fake_before = cpu_seconds([fake_pid])
    started = time.perf_counter()
    asyncio.run(everyone())
    seconds = time.perf_counter() - started
    done = (count // concurrency) * concurrency
    fake_cpu = cpu_seconds([fake_pid]) - fake_before
    return {"what": f"fake Notify alone ({concurrency} connections, bare client)", "processes": 1,
            "threads": "", "limit_per_min": "", "recipients": done, "sent": done, "duplicates": "",
            "seconds": round(seconds, 1), "per_second": round(done / seconds),
            "peak_in_flight": fake_notify_stats(url)["peak_in_flight"], "worker_cpu_ms_per_msg": "",
            "fake_cpu_ms_per_msg": round(1000 * fake_cpu / done, 2)}


def notify_main(args: argparse.Namespace) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    port = args.notify_port
    url = f"http://127.0.0.1:{port}"
    fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_notify.py"), "--port", str(port),
                             "--latency-ms", str(args.notify_latency_ms)], stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None and fake.stdout.readline().startswith("fake Notify")
        small = max(1, args.notify_recipients // 4)
        rows = [run_fake_alone(url, 2 * args.notify_recipients, 256, fake.pid)]
        if not args.notify_raised_only:
            rows += [
                run_notify(small, 1, 3000, "before: one call at a time", url, args.timeout, 1, fake.pid),
                run_notify(args.notify_recipients, 8, 3000, "default threads, production limit 3,000/min = 50/s",
                           url, args.timeout, 2, fake.pid),
            ]
        rows.append(run_notify(args.notify_recipients, args.notify_threads, 6_000_000,
                               "limit raised (6,000,000/min)", url, args.timeout, 3, fake.pid))
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    print_table(f"Notify throughput (fake Notify at {args.notify_latency_ms:.0f} ms; {dt.datetime.now():%H:%M})",
                ["what", "processes", "threads", "limit_per_min", "recipients", "sent", "duplicates", "seconds",
                 "per_second", "peak_in_flight", "worker_cpu_ms_per_msg", "fake_cpu_ms_per_msg"], rows)
    write_results("fanout_notify", {"rows": rows, "latency_ms": args.notify_latency_ms})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", action="append", default=None, help="Campaign size: 100k, 1M (repeatable).")
    parser.add_argument("--timeout", type=float, default=1800, help="Seconds per campaign before giving up.")
    parser.add_argument("--floor-recipients", type=int, default=50_000, help="Messages in each floor loop (at most).")
    parser.add_argument("--notify", action="store_true", help="GOV.UK Notify throughput against the fake Notify.")
    parser.add_argument("--notify-recipients", type=int, default=6000, help="Campaign size for --notify.")
    parser.add_argument("--notify-threads", type=int, default=64, help="Send threads per process, limit raised.")
    parser.add_argument("--notify-latency-ms", type=float, default=150, help="The fake Notify's answer time.")
    parser.add_argument("--notify-port", type=int, default=8141, help="Where the fake Notify listens.")
    parser.add_argument("--notify-raised-only", action="store_true", help="Only the fake alone and the raised run.")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in WORKER_ENV.items() if k != "PYTHONPATH"})
    setup_django()
    if args.notify:
        notify_main(args)
        return
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # the benchmark's own Redis db: broker, results, rate bucket
    rows = [run_noop(NOOP_TASKS, args.timeout)]
    floors = []
    for label in args.recipients or ["100k", "1M"]:
        count = parse_scale(label)
        floor = run_floor(min(count, args.floor_recipients))
        floors.append(floor)
        campaign = run_campaign(count, args.timeout)
        campaign["of_floor"] = f"{100 * campaign['per_second'] / floor['per_second']:.0f}%"  # type: ignore[operator]
        rows += [floor, campaign]
    bare = rows[0]["per_second"]
    for row in rows[1:]:
        row["of_bare"] = f"{100 * row['per_second'] / bare:.0f}%"  # type: ignore[operator]
    print_table(f"fan-out (2 worker processes; limit raised to {WORKER_ENV['DELIVERY_RATE_PER_MINUTE']}/min, "
                f"production limit {PRODUCTION_RATE_PER_MINUTE:,}/min = {PRODUCTION_RATE_PER_MINUTE // 60}/s; "
                f"{dt.datetime.now():%H:%M})",
                ["what", "recipients", "delivered", "seconds", "per_second", "of_bare", "of_floor", "setup_s",
                 "rss_main_mb", "rss_child1_mb", "rss_child2_mb"], rows)
    write_results("fanout", {"rows": rows, "production_rate_per_minute": PRODUCTION_RATE_PER_MINUTE})


if __name__ == "__main__":
    main()
