"""Reports at scale: the national action report page and `national_totals` for one action.

    python bench/bench_reports.py --label 1M [--repeat 30]

Against the bench database as it stands (bench/generate.py grows it). For the latest action:
- the page /reports/actions/<slug>/ through Django's test client, signed in as a national manager,
  with the production settings (DEBUG off): median and p95 of --repeat requests, and the number of
  SQL queries of one request; the same for the Midlands region page (/regions/Y60/), which shares
  the ICB and trust tables;
- `national_totals --action <slug> --format json` (call_command): the same;
- beside each, the bare SQL a PostgreSQL client needs for the same figures straight from
  trusts_dailyreturn (the grouped aggregates, no Django, no rendering), and server / bare SQL.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import median_p95, print_table, setup_django, timed, write_results

FIGURES = """
    sum(staff_absent), sum(staff_due), sum(staff_absent) FILTER (WHERE staff_due IS NOT NULL),
    count(*) FILTER (WHERE staff_due IS NOT NULL),
    sum(elective_rescheduled), sum(outpatient_rescheduled), sum(community_rescheduled),
    sum(mental_health_rescheduled), sum(elective_rescheduled + outpatient_rescheduled),
    sum(elective_rescheduled + outpatient_rescheduled + community_rescheduled + mental_health_rescheduled),
    sum(elective_planned), sum(outpatient_planned),
    sum(elective_rescheduled) FILTER (WHERE elective_planned IS NOT NULL),
    sum(outpatient_rescheduled) FILTER (WHERE outpatient_planned IS NOT NULL),
    count(*), count(*) FILTER (WHERE is_nil), count(*) FILTER (WHERE is_late)
"""
# What the figures of one action need, straight from the base table.
PER_DAY = (f"SELECT date, {FIGURES} FROM trusts_dailyreturn WHERE action_id = %(a)s AND status = 'submitted' "
           "GROUP BY date")
# Season comparison and cumulative figures need every action's totals.
PER_ACTION = f"SELECT action_id, {FIGURES} FROM trusts_dailyreturn WHERE status = 'submitted' GROUP BY action_id"
PER_TRUST_DAY = (f"SELECT trust_id, date, {FIGURES} FROM trusts_dailyreturn WHERE action_id = %(a)s "
                 "AND status = 'submitted' GROUP BY trust_id, date")
PER_AREA_DAY = (f"SELECT i.region_id, i.id, r.date, {FIGURES} FROM trusts_dailyreturn r "
                "JOIN trusts_trust t ON t.id = r.trust_id JOIN trusts_icb i ON i.id = t.icb_id "
                "WHERE r.action_id = %(a)s AND r.status = 'submitted' GROUP BY GROUPING SETS "
                "((i.region_id, r.date), (i.id, r.date))")
BARE = {
    "action_report": [PER_DAY, PER_ACTION, PER_TRUST_DAY, PER_AREA_DAY],
    "region_report": [PER_DAY, PER_TRUST_DAY, PER_AREA_DAY],
    "national_totals": [PER_DAY, PER_ACTION],
}


def national_manager():  # type: ignore[no-untyped-def]
    from trusts.models import Membership, Role, User

    user, _ = User.objects.get_or_create(email="bench-national@bench.invalid")
    Membership.objects.get_or_create(user=user, role=Role.NATIONAL_MANAGER)
    return user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", required=True, help="Scale label for the results file, e.g. 1M.")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--name", default="reports", help="Results file name prefix.")
    parser.add_argument("--strike-days", type=int, default=None,
                        help="Measure the latest generated action with this many strike days (the shape of the "
                             "latest action differs between scales; 5 is the largest the generator makes).")
    args = parser.parse_args()
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from trusts.models import DailyReturn, IndustrialAction, ReturnRevision

    # The latest generated action (other benchmarks add actions of their own shape), or the latest
    # with --strike-days days, to compare one shape across scales.
    generated = IndustrialAction.objects.filter(slug__startswith="bench-")
    if args.strike_days:
        generated = generated.annotate(days=Count("strike_days")).filter(days=args.strike_days)
    action = generated.order_by("-first_day", "-pk").first()
    if action is None:
        raise SystemExit("No actions: run bench/generate.py first.")
    client = Client()
    client.force_login(national_manager())
    url = f"/reports/actions/{action.slug}/"

    def get(path: str) -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")

    def page() -> None:
        get(url)

    def region() -> None:
        get(f"{url}regions/Y60/")

    def command() -> None:
        call_command("national_totals", "--action", action.slug, "--format", "json", stdout=io.StringIO())

    def bare(statements: list[str]) -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql, {"a": action.pk})
                cursor.fetchall()

    returns = DailyReturn.objects.count()
    rows = []
    for name, fn in (("action_report", page), ("region_report", region), ("national_totals", command)):
        samples = timed(fn, args.repeat)
        with CaptureQueriesContext(connection) as captured:
            fn()
        bare_samples = timed(lambda name=name: bare(BARE[name]), max(5, args.repeat // 3))
        median, p95 = median_p95(samples)
        bare_median, _ = median_p95(bare_samples)
        rows.append({"scale": args.label, "returns": returns, "what": name, "median_ms": median, "p95_ms": p95,
                     "queries": len(captured), "bare_sql_ms": bare_median,
                     "ratio": round(median / bare_median, 2) if bare_median else None})
    print_table(f"reports at {returns:,} returns ({IndustrialAction.objects.count():,} actions, "
                f"{ReturnRevision.objects.count():,} revisions; action {action.slug}, "
                f"{action.strike_days.count()} strike days; 1-minute load average {os.getloadavg()[0]:.2f})",
                ["scale", "returns", "what", "median_ms", "p95_ms", "queries", "bare_sql_ms", "ratio"], rows)
    write_results(f"{args.name}-{args.label}", {"action": action.slug, "rows": rows})


if __name__ == "__main__":
    main()
