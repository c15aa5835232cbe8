"""Public pages at national-news scale: requests per second of each public page beside a bare
Django page, measured in the same run on the same gunicorn (ratios, because the machine is shared).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6bench python bench/bench_public.py \
        [--notices 10000] [--seconds 4] [--rounds 3] [--clients 2] [--threads 8] [--reuse-db]

It creates the database (dropped and made again unless --reuse-db and it exists), the 209 trusts,
--notices published notices and one action, collects the static files into a temporary folder, and
starts gunicorn as the Procfile does (3 processes x 4 threads, production settings, the Redis cache
at BENCH_REDIS_URL). The load comes from --clients processes x --threads threads, each a keep-alive
HTTP/1.1 connection to 127.0.0.1 that requests one page for --seconds, page after page, for
--rounds rounds (bounded: it stops by itself; the median round is reported). Rows:

- bare Django page: /bench-bare/ (bench_public_urls.py), the baseline;
- each public page as an anonymous reader gets it (served from the shared cache after the first);
- a revalidation (If-None-Match with the page's ETag: 304, no body);
- the same pages with a query string new on every request, so that each one is a cache miss: the
  cost of rendering, which readers pay once per page per data change.

Targets (issue 15): a notice >= 50% of the bare page, /notices/ and the feed >= 30%.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATABASE_URL, ROOT, bench_env, manage, print_table, setup_django, write_results
from run import recreate_database

PORT = int(os.environ.get("BENCH_PUBLIC_PORT", "8161"))
TARGETS = {"a notice": 0.5, "/notices/": 0.3, "the Atom feed": 0.3}


def database_exists() -> bool:
    from urllib.parse import urlparse

    import psycopg

    url = urlparse(DATABASE_URL)
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  [url.path.lstrip("/")]).fetchone() is not None


def seed(notice_count: int) -> dict[str, str]:
    """--notices published notices spread over the trusts (bulk, not through the services: the
    pages read only the rows), and one action with strike days for the calendar."""
    setup_django()
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from notices.models import DEFAULT_WHAT_TO_DO, Notice, NoticeStatus, NoticeVersion
    from trusts.models import IndustrialAction, StrikeDay, Trust
    from trusts.strike_calendar import LONDON, return_deadline, strike_days

    trusts = list(Trust.objects.order_by("ods_code"))
    if not Notice.objects.exists():
        now = timezone.now()
        body = ("Industrial action affected services at ((trust)) on 11 to 15 April 2023. We apologise to anyone "
                "whose care has been disrupted during this period.\n\n") * 3
        with transaction.atomic():
            notices = Notice.objects.bulk_create(
                Notice(trust=trusts[i % len(trusts)], title=f"Industrial action notice {i}", body=body,
                       what_to_do=DEFAULT_WHAT_TO_DO) for i in range(notice_count))
            versions = NoticeVersion.objects.bulk_create(
                NoticeVersion(notice=n, number=1, title=n.title, body=n.body.replace("((trust))", n.trust.name),
                              what_to_do=n.what_to_do, published_at=now - dt.timedelta(minutes=i))
                for i, n in enumerate(notices))
            for i, (n, v) in enumerate(zip(notices, versions, strict=True)):
                n.status, n.current_version, n.slug = NoticeStatus.PUBLISHED, v, f"industrial-action-notice-{i}"
                n.published_at = v.published_at
            Notice.objects.bulk_update(notices, ["status", "current_version", "slug", "published_at"],
                                       batch_size=2000)
        windows = [(dt.datetime(2023, 4, 11, 7, tzinfo=LONDON), dt.datetime(2023, 4, 15, 7, tzinfo=LONDON))]
        days = strike_days(windows)
        action = IndustrialAction.objects.create(slug="junior-doctors-april-2023", name="Junior doctors, April 2023",
                                                 staff_group="junior_doctors", unions=["BMA"],
                                                 first_day=days[0].date, last_day=days[-1].date)
        StrikeDay.objects.bulk_create(StrikeDay(action=action, date=d.date, starts_at=d.starts_at, ends_at=d.ends_at,
                                                deadline=return_deadline(d.date)) for d in days)
    notice = Notice.objects.select_related("trust").order_by("-published_at").first()
    assert notice is not None
    return {"notice": notice.get_absolute_url(), "trust": f"/notices/trusts/{notice.trust.ods_code}/",
            "ods": notice.trust.ods_code}


def _worker(path: str, seconds: float, threads: int, headers: dict[str, str], unique: bool,
            queue: Any) -> None:
    counts: list[int] = [0] * threads
    errors: list[int] = [0] * threads
    latencies: list[list[float]] = [[] for _ in range(threads)]
    deadline = time.monotonic() + seconds
    pid = os.getpid()

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            target = f"{path}{'&' if '?' in path else '?'}miss={pid}-{index}-{n}" if unique else path
            started = time.perf_counter()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status not in (200, 304):
                    errors[index] += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                continue
            counts[index] += 1
            latencies[index].append(time.perf_counter() - started)
        connection.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    # Every 10th latency is enough for a p95 and keeps the pipe small.
    queue.put((sum(counts), sum(errors), [x for lat in latencies for x in lat[::10]]))


def load(path: str, *, seconds: float, clients: int, threads: int, headers: dict[str, str] | None = None,
         unique: bool = False) -> dict[str, Any]:
    queue: Any = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_worker, args=(path, seconds, threads, headers or {}, unique, queue))
             for _ in range(clients)]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    elapsed = time.perf_counter() - started
    total = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else 0.0
    return {"requests": total, "errors": sum(r[1] for r in results), "req_per_s": total / elapsed,
            "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0, "p95_ms": p95}


def wait_until_up(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench-bare/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within a minute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=4.0, help="per page and round (bounded)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2, help="load processes")
    parser.add_argument("--threads", type=int, default=8, help="connections per load process")
    parser.add_argument("--reuse-db", action="store_true", help="keep the database if it exists")
    args = parser.parse_args()
    if not (args.reuse_db and database_exists()):
        recreate_database()
        manage("migrate", "--noinput", "-v0")
        manage("import_trusts", "trusts/data/trusts.csv")
    targets = seed(args.notices)

    static_root = Path(tempfile.gettempdir()) / "strikeops-bench-public-static"
    # Every request comes from 127.0.0.1: the public API's per-address throttle would answer 429.
    env = bench_env(STATIC_ROOT=str(static_root), PYTHONPATH=f"{ROOT / 'bench'}:{ROOT}",
                    API_THROTTLE_ANON="100000000/minute")
    if not (static_root / "staticfiles.json").exists():
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0",
                        "--settings=tests.smoke.static_settings"], cwd=ROOT, env=env, check=True)
    env["DJANGO_SETTINGS_MODULE"] = "bench_public_settings"
    # The Procfile's web command, as production runs it (access log included, to /dev/null).
    log = (static_root.parent / "strikeops-bench-public-gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "strikeops.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "3", "--threads", "4", "--keep-alive", "5", "--max-requests", "0",
         "--access-logfile", "-", "--error-logfile", "-"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    rows: list[dict[str, Any]] = []
    try:
        wait_until_up()
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{targets['notice']}") as response:
            etag = response.headers["ETag"]
            assert response.headers["Cache-Control"].startswith("public"), response.headers
            assert "Set-Cookie" not in response.headers
        pages = [
            ("bare Django page", "/bench-bare/", {}, False),
            ("a notice", targets["notice"], {}, False),
            ("a notice, revalidated (304)", targets["notice"], {"If-None-Match": etag}, False),
            ("/notices/", "/notices/", {}, False),
            ("/notices/?trust= (filtered)", f"/notices/?region=&trust={targets['ods']}", {}, False),
            ("the Atom feed", "/notices/feed/", {}, False),
            ("a trust's notices", targets["trust"], {}, False),
            ("strike calendar (.ics)", "/calendar/strike-days.ics", {}, False),
            ("public API /api/v1/notices/", "/api/v1/notices/", {}, False),
            ("a notice, cache miss", targets["notice"], {}, True),
            ("/notices/, cache miss", "/notices/", {}, True),
            ("the Atom feed, cache miss", "/notices/feed/", {}, True),
        ]
        runs: dict[str, list[dict[str, Any]]] = {what: [] for what, *_ in pages}
        # Rounds, each page in turn, so that a burst of other work on the shared machine lands on
        # every page alike; the median round is reported.
        for number in range(1, args.rounds + 1):
            for what, path, headers, unique in pages:
                load(path, seconds=0.5, clients=1, threads=2, headers=headers, unique=unique)  # warm up
                result = load(path, seconds=args.seconds, clients=args.clients, threads=args.threads,
                              headers=headers, unique=unique)
                runs[what].append(result)
                print(f"  round {number}: {what}: {result['req_per_s']:,.0f} req/s", flush=True)
        for what, results in runs.items():
            ordered = sorted(results, key=lambda r: r["req_per_s"])
            rows.append({"page": what, **ordered[len(ordered) // 2],
                         "rounds": " / ".join(f"{r['req_per_s']:,.0f}" for r in results)})
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        log.close()
    bare = next(r["req_per_s"] for r in rows if r["page"] == "bare Django page")
    for row in rows:
        row["vs_bare"] = f"{100 * row['req_per_s'] / bare:.0f}%"
        target = TARGETS.get(row["page"])
        row["target"] = f">= {target:.0%}: {'met' if row['req_per_s'] >= target * bare else 'MISSED'}" if target else ""
    print_table(f"Public pages vs a bare Django page ({bare:,.0f} req/s), median of {args.rounds} rounds; "
                f"{args.clients} x {args.threads} keep-alive connections, {args.seconds:g} s a page a round, "
                f"{args.notices:,} notices; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                ["page", "req_per_s", "vs_bare", "median_ms", "p95_ms", "errors", "target", "rounds"], rows)
    write_results("bench_public", {"args": vars(args), "bare_req_per_s": bare, "rows": rows})


if __name__ == "__main__":
    main()
