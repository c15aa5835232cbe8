"""Submission burst: 200 trusts submitting their returns within minutes, at 50 concurrent users.

    python bench/bench_submit.py [--trusts 200] [--users 50] [--workers 5]

gunicorn serves the app with the production settings (DEBUG off; SECURE_SSL_REDIRECT=false for
plain HTTP on 127.0.0.1) and locust (bench/requirements.txt) drives the submit endpoint of the API,
PUT /api/v1/returns/<ods>/<action>/<day>/, through the real returns services: each of --trusts trust
administrators (own API token) submits 5 strike days and corrects each twice (3 requests per
return: --trusts x 15 requests in all, then locust stops). Requests per second, median and p95
latency, failures. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, bench_env, print_table, setup_django, write_results

PORT = 8765
DAYS = 5


def prepare(trust_count: int) -> dict[str, object]:
    """A current action (strike days just past, not locked), one administrator with a token per
    trust, no returns yet; the work list for locust."""
    from django.utils import timezone

    from trusts.models import (
        ApiToken,
        DailyReturn,
        IndustrialAction,
        Membership,
        Role,
        StrikeDay,
        Trust,
        User,
        WalkoutWindow,
    )
    from trusts.services.api_tokens import api_token_create
    from trusts.strike_calendar import LONDON, default_hard_close, return_deadline

    today = dt.date.today()
    first = today - dt.timedelta(days=DAYS + 1)
    last = first + dt.timedelta(days=DAYS - 1)
    slug = f"burst-{int(time.time())}"
    action = IndustrialAction.objects.create(slug=slug, name=f"Burst {slug}", staff_group="nurses", unions=["RCN"],
                                             first_day=first, last_day=last, hard_close=default_hard_close(last))
    starts = dt.datetime.combine(first, dt.time(7), tzinfo=LONDON)
    WalkoutWindow.objects.create(action=action, starts_at=starts, ends_at=starts + dt.timedelta(days=DAYS))
    StrikeDay.objects.bulk_create(
        StrikeDay(action=action, date=first + dt.timedelta(days=d), starts_at=starts + dt.timedelta(days=d),
                  ends_at=starts + dt.timedelta(days=d + 1), deadline=return_deadline(first + dt.timedelta(days=d)))
        for d in range(DAYS))
    assert not DailyReturn.objects.filter(action=action).exists()
    rng = random.Random(3)
    chains = []
    for trust in Trust.objects.filter(status="active", open_date__lte=first).order_by("ods_code")[:trust_count]:
        user, _ = User.objects.get_or_create(email=f"bench-admin-{trust.ods_code.lower()}@bench.invalid")
        Membership.objects.get_or_create(user=user, role=Role.TRUST_ADMIN, trust=trust)
        # Each run makes a new token; earlier runs' tokens are revoked (a user may hold only 10).
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        token = api_token_create(user=user, name=f"burst {slug}").secret
        due = rng.randint(200, 1200)
        for d in range(DAYS):
            base = {"staff_due": due, "staff_absent": due // 3, "elective_rescheduled": 30,
                    "outpatient_rescheduled": 200, "community_rescheduled": 10, "mental_health_rescheduled": 2}
            # The first submission, then two small corrections (well inside the warning thresholds).
            figures = [base, {**base, "outpatient_rescheduled": 205}, {**base, "outpatient_rescheduled": 207}]
            chains.append({"ods": trust.ods_code, "token": token, "day": (first + dt.timedelta(days=d)).isoformat(),
                           "figures": figures})
    rng.shuffle(chains)  # trusts submit in no particular order
    return {"action": slug, "chains": chains}


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start.")


def run_locust(*, folder: Path, work: dict[str, object], users: int, rate: float, max_seconds: int) -> dict[str, float]:
    """One locust run against the server on PORT; its aggregated figures."""
    label = f"rate-{rate:g}"
    work_path = folder / f"work-{label}.json"
    work_path.write_text(json.dumps(work))
    bin_dir = Path(sys.executable).parent
    started = time.perf_counter()
    subprocess.run(
        [str(bin_dir / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--users",
         str(users), "--spawn-rate", str(users), "--run-time", f"{max_seconds}s", "--host",
         f"http://127.0.0.1:{PORT}", "--csv", str(folder / label), "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env=bench_env(BENCH_SUBMIT_WORK=str(work_path), BENCH_SUBMIT_RATE=str(rate)), check=False)
    wall = time.perf_counter() - started
    with (folder / f"{label}_stats.csv").open() as handle:
        aggregated = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {"wall_s": round(wall, 1), "requests": int(aggregated["Request Count"]),
            "failures": int(aggregated["Failure Count"]), "req_per_s": float(aggregated["Requests/s"]),
            "median_ms": float(aggregated["Median Response Time"]), "p95_ms": float(aggregated["95%"]),
            "p99_ms": float(aggregated["99%"]), "max_ms": float(aggregated["Max Response Time"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trusts", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers (2 x cores + 1).")
    parser.add_argument("--rate", type=float, action="append",
                        help="Requests a second per user; 0 = no pause (saturation). Repeatable; default 0 and "
                             "3.2 (50 users x 3.2 = 160 requests a second offered).")
    parser.add_argument("--max-seconds", type=int, default=300, help="Upper bound on each locust run.")
    args = parser.parse_args()
    rates = args.rate or [0.0, 3.2]
    setup_django()
    from django.db import connection

    from trusts.models import DailyReturn

    folder = Path(tempfile.mkdtemp(prefix="strikeops-bench-submit-"))
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "strikeops.wsgi", "--workers", str(args.workers), "--bind", f"127.0.0.1:{PORT}",
         "--log-level", "warning"],
        cwd=ROOT, env=bench_env(), stderr=(folder / "gunicorn.log").open("w"))
    rows = []
    try:
        wait_port(PORT)
        for rate in rates:
            # A fresh action (no returns yet) and fresh tokens for each run (which revokes the last run's).
            work = prepare(args.trusts)
            connection.close()
            load = round(os.getloadavg()[0], 1)
            figures = run_locust(folder=folder, work=work, users=args.users, rate=rate, max_seconds=args.max_seconds)
            saved = DailyReturn.objects.filter(action__slug=work["action"], status="submitted", version=3).count()
            rows.append({"mode": "saturation" if not rate else f"paced {rate:g}/s/user",
                         "offered_per_s": round(rate * args.users) if rate else "-", "trusts": args.trusts,
                         "users": args.users, "gunicorn_workers": args.workers, **figures,
                         "returns_at_v3": saved, "load_before": load})
    finally:
        server.terminate()
        server.wait(timeout=30)
    print_table("submit burst (API PUT through return_submit; gunicorn + locust on the same 2 cores)", list(rows[0]),
                rows)
    write_results("submit", {"rows": rows})


if __name__ == "__main__":
    main()
