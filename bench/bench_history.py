"""Pages flat in history (issue 15 item 2): the same pages timed at 10k and at 1M rows of history.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6bench python bench/bench_history.py \
        [--scales "10k 1M 10k"] [--repeat 15]

At each scale, --scales rows of audit events and --scales deliveries in one campaign that is still
sending (the worst case for its progress: nothing stored yet), plus 30 finished campaigns of the same
trust, are in the bench database (topped up with INSERT ... SELECT generate_series; generation is
bounded by the row count: about a minute for 1M of each). Each page is requested through Django's
test client, in this process, with the production settings, signed in as the role that sees it:
median and p95 of --repeat requests after warm-up. The small scale is measured before and after the
large one (the machine is shared); the ratio is the large scale over the faster small run, the
stricter comparison (target: <= 2).

"campaign progress, grouped count (exact)" and "first reader in 2 s" are the one grouped query the
shared figure runs at most once per 2 seconds per campaign (whoever reads first pays it), shown for
what they cost; they are not pages and have no target. Every page reads the shared figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import manage, median_p95, parse_scale, print_table, setup_django, timed, write_results


def top_up(table: str, count_sql: str, insert_sql: str, target: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(count_sql)
        have = cursor.fetchone()[0]
        if have < target:
            cursor.execute(insert_sql, {"start": have + 1, "stop": target})
            cursor.execute(f"ANALYZE {table}")


def prepare(scale: int, world: dict[str, Any]) -> None:
    from django.db import connection

    campaign = world["campaign"]
    with connection.cursor() as cursor:  # going down a scale: history starts again (bench database only)
        cursor.execute("SELECT count(*) FROM trusts_auditevent")
        if cursor.fetchone()[0] > scale:
            cursor.execute("TRUNCATE trusts_auditevent, notices_recipient, notices_delivery")
    top_up("trusts_auditevent", "SELECT count(*) FROM trusts_auditevent", """
        INSERT INTO trusts_auditevent (occurred_at, actor_email, event, trust_code, object_type, object_id,
                                       summary, details)
        SELECT now() - make_interval(secs => g * 37), 'person' || (g %% 500) || '@example.nhs.uk',
               'bench.kind' || (g %% 40), '', 'return', g::text, 'Bench event ' || g, '{}'::jsonb
        FROM generate_series(%(start)s, %(stop)s) AS g""", scale)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM notices_recipient WHERE campaign_id = %s", [campaign.pk])
        have = cursor.fetchone()[0]
        if have < scale:
            cursor.execute("""
                INSERT INTO notices_recipient (campaign_id, line, email)
                SELECT %(c)s, g, 'patient' || g || '@example.org' FROM generate_series(%(start)s, %(stop)s) AS g""",
                           {"c": campaign.pk, "start": have + 1, "stop": scale})
            cursor.execute("""
                INSERT INTO notices_delivery (campaign_id, recipient_id, status, attempts, provider_reference,
                                              failure_reason, created_at)
                SELECT r.campaign_id, r.id,
                       (ARRAY['delivered','sent','queued','permanent_failure','temporary_failure'])[1 + r.line %% 5],
                       1, '', '', now()
                FROM notices_recipient r WHERE r.campaign_id = %(c)s AND r.line BETWEEN %(start)s AND %(stop)s""",
                           {"c": campaign.pk, "start": have + 1, "stop": scale})
            cursor.execute("ANALYZE notices_recipient")
            cursor.execute("ANALYZE notices_delivery")
    campaign.__class__.objects.filter(pk=campaign.pk).update(recipient_count=scale)


def world() -> dict[str, Any]:
    from django.utils import timezone

    from notices.models import Campaign, CampaignStatus, Channel, MessageTemplate
    from trusts.models import Membership, Role, Trust, User

    trust = Trust.objects.order_by("ods_code").first()
    if trust is None:
        raise SystemExit("No trusts: run bench/generate.py first.")
    nia, _ = User.objects.get_or_create(email="bench-nia@example.nhs.uk")
    Membership.objects.get_or_create(user=nia, role=Role.NATIONAL_MANAGER)
    chris, _ = User.objects.get_or_create(email="bench-chris@example.nhs.uk")
    Membership.objects.get_or_create(user=chris, role=Role.TRUST_COMMS, trust=trust)
    template, _ = MessageTemplate.objects.get_or_create(
        trust=trust, name="Bench apology", defaults={"channel": Channel.EMAIL, "subject": "Your appointment",
                                                     "body": "Dear ((name)), your appointment is moved."})
    now = timezone.now()
    campaign = Campaign.objects.filter(trust=trust, status=CampaignStatus.SENDING).first()
    if campaign is None:
        for _ in range(30):
            Campaign.objects.create(trust=trust, template=template, channel=Channel.EMAIL, status=CampaignStatus.SENT,
                                    started_at=now, finished_at=now, recipient_count=1000,
                                    totals={"delivered": 990, "permanent_failure": 10, "succeeded": 990,
                                            "failed": 10})
        campaign = Campaign.objects.create(trust=trust, template=template, channel=Channel.EMAIL,
                                           status=CampaignStatus.SENDING, started_at=now)
    return {"trust": trust, "nia": nia, "chris": chris, "campaign": campaign}


def measure(scale_label: str, w: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    from notices.selectors_delivery import campaign_progress, campaign_progress_shared
    from trusts.models import AuditEvent
    from trusts.selectors.audit import _cursor, audit_event_types, audit_events, audit_events_page

    nia, chris = Client(), Client()
    nia.force_login(w["nia"])
    chris.force_login(w["chris"])
    ods, pk = w["trust"].ods_code, w["campaign"].pk
    # A cursor 5,000 events back (page 100): keyset pages cost the same wherever they start.
    deep = _cursor(AuditEvent.objects.order_by("-occurred_at", "-id")[5000])

    def get(client: Client, url: str, data: dict[str, str] | None = None) -> None:
        response = client.get(url, data or {})
        assert response.status_code == 200, (url, response.status_code)

    checks = {
        "/audit/ (newest page)": lambda: get(nia, "/audit/"),
        "/audit/ older page from a cursor": lambda: get(nia, "/audit/", {"before": deep}),
        "/audit/?event= (filtered)": lambda: get(nia, "/audit/", {"event": "bench.kind7"}),
        "campaign progress.json (shared figure)": lambda: get(
            chris, reverse("campaigns:progress", args=[ods, pk])),
        "campaign page (shared figure)": lambda: get(chris, reverse("campaigns:campaign", args=[ods, pk])),
        "trust's campaign list": lambda: get(chris, reverse("campaigns:trust", args=[ods])),
        # The pages' own reads without the rendering (less noisy on a shared machine) ...
        "audit reads: event kinds (skip scan)": audit_event_types,
        "audit reads: newest page": lambda: list(audit_events_page(audit_events(), size=50)),
        "audit reads: older page from a cursor": lambda: list(audit_events_page(audit_events(), before=deep,
                                                                                 size=50)),
        "audit reads: one kind's newest page": lambda: list(audit_events_page(audit_events(event="bench.kind7"),
                                                                               size=50)),
        # ... and what the page read before (no target: shown for the contrast).
        "before: DISTINCT event + COUNT(*) (exact)": lambda: (
            list(AuditEvent.objects.order_by("event").values_list("event", flat=True).distinct()),
            AuditEvent.objects.count()),
        "campaign progress, grouped count (exact)": lambda: campaign_progress(pk),
        "campaign progress, first reader in 2 s": lambda: (cache.delete(f"campaign:progress:{pk}"),
                                                            campaign_progress_shared(pk)),
    }
    rows = []
    for what, fn in checks.items():
        median, p95 = median_p95(timed(fn, repeat))
        rows.append({"scale": scale_label, "what": what, "median_ms": median, "p95_ms": p95})
        print(f"  {scale_label} {what}: {median:.1f} ms", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Small, large, small again: the machine is shared, so the small scale is measured on both sides of
    # the large one and the ratio uses the faster small run (the stricter comparison).
    parser.add_argument("--scales", default="10k 1M 10k")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    manage("migrate", "--noinput", "-v0")
    manage("import_trusts", "trusts/data/trusts.csv")
    # The pages need the static files' manifest (production storage); the same folder as bench_public's.
    static_root = Path(tempfile.gettempdir()) / "strikeops-bench-public-static"
    if not (static_root / "staticfiles.json").exists():
        manage("collectstatic", "--noinput", "-v0", "--settings=tests.smoke.static_settings",
               STATIC_ROOT=str(static_root))
    os.environ["STATIC_ROOT"] = str(static_root)
    setup_django()
    from django.db import connection

    with connection.cursor() as cursor:  # history starts again at the first scale (bench database only)
        cursor.execute("TRUNCATE trusts_auditevent, notices_recipient, notices_delivery")
    w = world()
    results: list[dict[str, Any]] = []
    scales = args.scales.split()
    for label in scales:
        prepare(parse_scale(label), w)
        results += measure(label, w, args.repeat)
    first, last = scales[0], max(scales, key=parse_scale)
    table = []
    for what in dict.fromkeys(r["what"] for r in results):
        small = min((r for r in results if r["what"] == what and r["scale"] == first), key=lambda r: r["median_ms"])
        big = next(r for r in results if r["what"] == what and r["scale"] == last)
        runs = " / ".join(f"{r['median_ms']:.1f}" for r in results if r["what"] == what)
        ratio = big["median_ms"] / small["median_ms"] if small["median_ms"] else 0.0
        table.append({"what": what, f"{first}_ms": small["median_ms"], f"{first}_p95": small["p95_ms"],
                      f"{last}_ms": big["median_ms"], f"{last}_p95": big["p95_ms"], "ratio": f"{ratio:.2f}x",
                      "target": "" if "exact" in what or "first reader" in what
                      else ("met" if ratio <= 2 else "MISSED"), "runs (ms)": runs})
    print_table(f"History pages at {first} and {last} rows (audit events; deliveries in one sending campaign), "
                f"median of {args.repeat}; {first} = the faster of its runs; load average {os.getloadavg()[0]:.1f}",
                ["what", f"{first}_ms", f"{first}_p95", f"{last}_ms", f"{last}_p95", "ratio", "target", "runs (ms)"],
                table)
    write_results("bench_history", {"args": vars(args), "rows": results, "table": table})


if __name__ == "__main__":
    main()
