"""SIGKILL fault run: 20 kills at random points (10 of one pool process, 10 of a whole worker, in a
random order) while two campaigns go out through two Celery workers (prefork, 2 processes each): one
by email through a real SMTP server (aiosmtpd, in this process) and one by text message through a fake
GOV.UK Notify HTTP server (in this process). The production settings throughout (claim timeout 40 s,
recovery every 15 s, visibility timeout 40 s, rate limit 3,000 a minute); a killed whole worker is
started again at once, as a supervisor would.

    python bench/bench_faults.py [--recipients 3000] [--seed 1]

Prints kills, messages lost, duplicates (SMTP and Notify), deliveries recorded as possibly
duplicated, and for each kill the seconds until no message claimed before it was still "sending"
(resolved, or claimed again by a survivor). The harness is tests/notices/fault_support.py, which the
fault test in `make test` runs with two kills and short timings.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REDIS_URL, ROOT, bench_env, print_table, setup_django, write_results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=3000, help="Recipients per campaign (two campaigns).")
    parser.add_argument("--seed", type=int, default=None, help="Random seed for the kill order and times.")
    parser.add_argument("--gap", type=float, nargs=2, default=(3.0, 6.0), help="Seconds between kills (range).")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    # Django reads the channels from the environment when it starts, before the servers exist: the
    # SMTP port is chosen first and Notify's address is given to the workers only.
    smtp_port = _free_port()
    channels = {
        "DELIVERY_CHANNEL_EMAIL": "email", "DELIVERY_CHANNEL_SMS": "notify", "DELIVERY_CHANNEL_LETTER": "none",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port), "DELIVERY_RATE_PER_MINUTE": "3000",
    }
    os.environ.update(channels)
    os.environ.setdefault("NOTIFY_API_KEY", "placeholder-set-below")
    setup_django()
    import redis
    from django.conf import settings

    from notices.models import Channel
    from tests.notices.delivery_support import make_campaign, row
    from tests.notices.fault_support import SmtpSink, Workers, run_kills
    from tests.notices.test_delivery_channels import API_KEY, TEMPLATES, FakeNotify
    from trusts.models import Trust

    sink = SmtpSink(delay=0.05, port=smtp_port)
    notify = FakeNotify()
    notify.delay = 0.05
    channels.update({"NOTIFY_API_KEY": API_KEY, "NOTIFY_BASE_URL": notify.url,
                     "NOTIFY_TEMPLATE_ID_EMAIL": TEMPLATES["email"], "NOTIFY_TEMPLATE_ID_SMS": TEMPLATES["sms"],
                     "NOTIFY_TEMPLATE_ID_LETTER": TEMPLATES["letter"]})

    redis.Redis.from_url(REDIS_URL).flushdb()
    # A trust without message templates: an earlier run's templates (their names are unique per
    # trust) stay in the bench database, and a second run must not need a fresh one.
    trust = Trust.objects.filter(message_templates__isnull=True).order_by("pk").first()
    if trust is None:
        raise SystemExit("The benchmark database has no trusts without templates: load the trusts first "
                         "(python manage.py import_trusts) or recreate it.")
    email = make_campaign(trust, None,
                          [row(i + 2, email=f"patient+{i}@example.invalid") for i in range(args.recipients)])
    sms = make_campaign(trust, None, [row(i + 2, phone=f"+4477009{i:05d}") for i in range(args.recipients)],
                        channel=Channel.SMS)
    rng = random.Random(args.seed)
    kinds = ["pool process"] * 10 + ["whole worker"] * 10
    rng.shuffle(kinds)
    workers = Workers(bench_env(**channels), count=2, concurrency=2)
    try:
        result = run_kills(workers=workers, kinds=kinds, campaigns=[email, sms], sink=sink, notify=notify, rng=rng,
                           gap=tuple(args.gap), recover_every=settings.DELIVERY_RECOVER_EVERY_SECONDS, timeout=900)
    finally:
        workers.stop()
        sink.stop()
        notify.stop()

    resumed = [k.resumed_after for k in result.kills if k.resumed_after is not None]
    rows = [{"kind": k.kind, "in_flight": k.in_flight, "resumed_s": k.resumed_after} for k in result.kills]
    print_table("kills", ["kind", "in_flight", "resumed_s"], rows)
    summary = {
        "recipients": 2 * args.recipients, "kills": len(result.kills),
        "pool_kills": kinds.count("pool process"), "worker_kills": kinds.count("whole worker"),
        "processes_killed": result.processes_killed, "seconds": result.seconds,
        "smtp_lost": result.smtp_lost, "notify_lost": result.notify_lost,
        "smtp_duplicates": result.smtp_duplicates, "notify_duplicates": result.notify_duplicates,
        "possibly_duplicated": result.possibly_duplicated, "unfinished": sum(result.unfinished.values()),
        "resume_max_s": max(resumed) if resumed else "", "resume_median_s":
            sorted(resumed)[len(resumed) // 2] if resumed else "", "unresolved_kills": len(result.kills) - len(resumed),
    }
    print_table("fault run", list(summary), [summary])
    write_results("faults", {"summary": summary, "kills": rows})


if __name__ == "__main__":
    main()
