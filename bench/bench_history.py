"""Pages flat in history (issue 15 item 2): the same pages timed at 10k and at 1M rows of history.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/h2bench python bench/bench_history.py \
        [--scales "10k 1M 10k"] [--repeat 15]

At each scale, --scales rows of audit events, --scales deliveries in one campaign that is still
sending (the worst case for its progress: nothing stored yet), plus 30 finished campaigns of the same
trust, and --scales daily returns of industrial action history (bench/generate.py's actions, about
1,450 returns each: 7 actions at 10k, about 690 at 1M) are in the bench database (topped up with
INSERT ... SELECT generate_series and generate.py's COPY, then VACUUM ANALYZE: a live database is
vacuumed by autovacuum, and a benchmark should not measure the minutes after a bulk load).

The seasons and cumulative pages are measured on pages whose content is the same at every scale,
so that only the history behind them grows: 25 fixed actions before the generated history (the
cumulative page's first page: the running totals of the oldest actions, and "All actions" over
everything after them) and 8 fixed actions in four seasons after it (the seasons page's first page,
newest first), each with returns from 30 trusts.

Each page is requested through Django's test client, in this process, with the production settings
(request logs at WARNING, so the log lines do not cost time), signed in as the role that sees it:
median and p95 of --repeat requests after warm-up. The small scale is measured before and after the
large one (the machine is shared); the ratio is the large scale over the faster small run, the
stricter comparison (target: <= 2). The load average is printed with the table.

"campaign progress, grouped count (exact)" and "first reader in 2 s" are the one grouped query the
shared figure runs at most once per 2 seconds per campaign (whoever reads first pays it), shown for
what they cost; they are not pages and have no target. Every campaign page reads the shared figure.
"before: ..." rows are what a page used to read, for the contrast (no target).
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
            cursor.execute(f"VACUUM ANALYZE {table}")


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
                INSERT INTO notices_recipient (campaign_id, line, email, opt_out_keys)
                SELECT %(c)s, g, 'patient' || g || '@example.org', '[]'::jsonb
                FROM generate_series(%(start)s, %(stop)s) AS g""",
                           {"c": campaign.pk, "start": have + 1, "stop": scale})
            cursor.execute("""
                INSERT INTO notices_delivery (campaign_id, recipient_id, status, attempts, provider_reference,
                                              failure_reason, created_at)
                SELECT r.campaign_id, r.id,
                       (ARRAY['delivered','sent','queued','permanent_failure','temporary_failure'])[1 + r.line %% 5],
                       1, '', '', now()
                FROM notices_recipient r WHERE r.campaign_id = %(c)s AND r.line BETWEEN %(start)s AND %(stop)s""",
                           {"c": campaign.pk, "start": have + 1, "stop": scale})
            cursor.execute("VACUUM ANALYZE notices_recipient")
            cursor.execute("VACUUM ANALYZE notices_delivery")
    campaign.__class__.objects.filter(pk=campaign.pk).update(recipient_count=scale)
    prepare_returns(scale)


# Fixed actions (generate.add_actions at these indexes: 3 days apart from 6 January 2025 at index 0;
# the generated history takes indexes 0, 1, 2, ... up to about 700 at 1M returns, to 2030).
OLDEST_FIXED = range(-1000, -975)  # 25 actions from October 2016: the cumulative page's first page
NEWEST_FIXED = (2000, 2061, 2122, 2183)  # 2 actions from each index, about 6 months apart (2041-2042)
FIXED_TRUSTS = 30


def fixed_actions() -> int:
    """Create the fixed actions once (slugs fixed-...), with returns from FIXED_TRUSTS trusts; their
    returns count."""
    import random

    from django.db import connection
    from django.db.models import F, Value
    from django.db.models.functions import Replace
    from generate import add_actions, ensure_trusts

    from trusts.models import DailyReturn, IndustrialAction

    fixed = IndustrialAction.objects.filter(slug__startswith="fixed-")
    if not fixed.exists():
        rng = random.Random(15)
        trusts = ensure_trusts(500, rng)[:FIXED_TRUSTS]
        next_id = (DailyReturn.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        for start, count in [(OLDEST_FIXED.start, len(OLDEST_FIXED)), *((i, 2) for i in NEWEST_FIXED)]:
            _, _, next_id = add_actions(count=count, start_index=start, trusts=trusts, rng=rng, next_id=next_id)
        IndustrialAction.objects.filter(slug__startswith="bench-", first_day__lt="2025-01-01").update(
            slug=Replace(F("slug"), Value("bench-"), Value("fixed-")))
        IndustrialAction.objects.filter(slug__startswith="bench-", first_day__gt="2035-01-01").update(
            slug=Replace(F("slug"), Value("bench-"), Value("fixed-")))
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('trusts_dailyreturn', 'id'), "
                           "(SELECT coalesce(max(id), 1) FROM trusts_dailyreturn))")
    return DailyReturn.objects.filter(action__slug__startswith="fixed-").count()


def prepare_returns(scale: int) -> None:
    """The fixed actions and generated history up to `scale` returns (going down a scale: the
    history starts again, bench database only)."""
    from django.db import connection
    from generate import grow

    from trusts.models import DailyReturn

    # grow() adds whole actions (about 1,450 returns each), so a scale may hold a little more than asked.
    if DailyReturn.objects.filter(action__slug__startswith="bench-").count() > scale * 1.2 + 2_000:
        with connection.cursor() as cursor:
            # CASCADE: whatever else records a return or a strike day (queries, sign-offs) goes too.
            cursor.execute("TRUNCATE trusts_returnrevision, trusts_dailyreturn, trusts_returnrollup, "
                           "trusts_remindersent, trusts_strikeday, trusts_walkoutwindow, "
                           "trusts_industrialaction_affected_trusts, trusts_returnreopening, trusts_release CASCADE")
            cursor.execute("UPDATE notices_campaign SET action_id = NULL")
            cursor.execute("DELETE FROM trusts_industrialaction")
    fixed = fixed_actions()
    grow(scale + fixed, 500, 7)


def world() -> dict[str, Any]:
    from django.utils import timezone

    from notices.models import Campaign, CampaignStatus, Channel, MessageTemplate
    from trusts.models import Membership, Role, Trust, User

    trust = Trust.objects.order_by("ods_code").first()
    if trust is None:
        raise SystemExit("No trusts: run bench/generate.py first.")
    nia, _ = User.objects.get_or_create(email="bench-nia@example.nhs.uk")
    Membership.objects.get_or_create(user=nia, role=Role.NATIONAL_MANAGER)
    morgan, _ = User.objects.get_or_create(email="bench-morgan@example.nhs.uk")
    Membership.objects.get_or_create(user=morgan, role=Role.REGIONAL_MANAGER, region=trust.icb.region)
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
    return {"trust": trust, "nia": nia, "morgan": morgan, "chris": chris, "campaign": campaign}


def measure(scale_label: str, w: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    from notices.selectors.delivery import campaign_progress, campaign_progress_shared
    from reports.selectors.reports import (
        all_actions,
        cumulative,
        per_action_totals,
        recorded_actions,
        recorded_seasons,
        seasons,
        seasons_of,
    )
    from reports.views.reports import CUMULATIVE_ROWS_PER_PAGE, SEASONS_PER_PAGE
    from trusts.models import AuditEvent
    from trusts.selectors.audit import _cursor, audit_event_types, audit_events, audit_events_page

    nia, morgan, chris = Client(), Client(), Client()
    nia.force_login(w["nia"])
    morgan.force_login(w["morgan"])
    chris.force_login(w["chris"])
    ods, pk = w["trust"].ods_code, w["campaign"].pk
    # A cursor 5,000 events back (page 100): keyset pages cost the same wherever they start.
    deep = _cursor(AuditEvent.objects.order_by("-occurred_at", "-id")[5000])

    def get(client: Client, url: str, data: dict[str, str] | None = None) -> None:
        response = client.get(url, data or {})
        assert response.status_code == 200, (url, response.status_code)

    # The pages' content is the same at every scale (fixed_actions); check it, so that a change in
    # the generator cannot quietly measure different pages.
    newest = [a.slug for season in seasons_of(recorded_seasons()[:SEASONS_PER_PAGE]) for a, _ in season.actions]
    assert len(newest) == 8 and all(slug.startswith("fixed-") for slug in newest), newest
    oldest = recorded_actions()[:CUMULATIVE_ROWS_PER_PAGE]
    assert [a.slug for a in oldest] == [a.slug for a in oldest if a.slug.startswith("fixed-")], "not the fixed set"

    checks = {
        "/audit/ (newest page)": lambda: get(nia, "/audit/"),
        "/audit/ older page from a cursor": lambda: get(nia, "/audit/", {"before": deep}),
        "/audit/?event= (filtered)": lambda: get(nia, "/audit/", {"event": "bench.kind7"}),
        "campaign progress.json (shared figure)": lambda: get(
            chris, reverse("campaigns:progress", args=[ods, pk])),
        "campaign page (shared figure)": lambda: get(chris, reverse("campaigns:campaign", args=[ods, pk])),
        "trust's campaign list": lambda: get(chris, reverse("campaigns:trust", args=[ods])),
        "/reports/seasons/ (newest seasons)": lambda: get(nia, reverse("reports:seasons")),
        "/reports/cumulative/ (oldest actions)": lambda: get(nia, reverse("reports:cumulative")),
        "/reports/cumulative/ (regional manager)": lambda: get(morgan, reverse("reports:cumulative")),
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
        "before: seasons over every action (exact)": lambda: seasons(all_actions(), per_action_totals()),
        "before: cumulative over every action (exact)": lambda: cumulative(all_actions(), per_action_totals()),
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
    # Request logs at WARNING: one JSON line per request written to the terminal is not what we measure.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
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
    print_table(f"History pages at {first} and {last} rows (audit events; deliveries in one sending campaign; "
                f"returns of industrial action history), "
                f"median of {args.repeat}; {first} = the faster of its runs; load average {os.getloadavg()[0]:.1f}",
                ["what", f"{first}_ms", f"{first}_p95", f"{last}_ms", f"{last}_p95", "ratio", "target", "runs (ms)"],
                table)
    write_results("bench_history", {"args": vars(args), "rows": results, "table": table})


if __name__ == "__main__":
    main()
