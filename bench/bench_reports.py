"""Reports at scale: the national action report page and `national_totals` for one action.

    python bench/bench_reports.py --label 1M [--repeat 30]

Against the bench database as it stands (bench/generate.py grows it). For the latest action:
- the page /reports/actions/<slug>/ through Django's test client, signed in as a national manager,
  with the production settings (DEBUG off): median and p95 of --repeat requests, and the number of
  SQL queries of one request; the same for the Midlands region page (/regions/Y60/), which shares
  the ICB and trust tables;
- `national_totals --action <slug> --format json` (call_command): the same;
- beside each, its own SQL replayed: the exact statements one request sent (captured), executed again
  over the same connection with no Django ORM, no views and no rendering, and page / own SQL. That
  ratio is what Django and the templates add on top of the database work the page really does (an
  earlier version compared with grouped aggregates over the whole base table, a query the page never
  runs, which flattered the page as the table grew);
- the CPU time of this process per request (median of time.process_time over the same requests): the
  ORM, the view and the templates without the database's own time and, unlike the wall clock, little
  moved by other processes queueing for the CPU on a shared machine.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trusts.models import User
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import median_p95, print_table, setup_django, timed, write_results


def national_manager() -> User:
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

    def replay(statements: list[str]) -> None:
        # In a transaction rolled back at the end: the captured statements are reads, but a page's
        # request may also touch its session row; nothing of a replay may stay.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description is not None:
                        cursor.fetchall()
            finally:
                cursor.execute("ROLLBACK")

    def cpu_ms(fn: Callable[[], None]) -> float:
        samples = []
        for _ in range(args.repeat):
            started = time.process_time()
            fn()
            samples.append((time.process_time() - started) * 1000)
        return statistics.median(samples)

    returns = DailyReturn.objects.count()
    rows = []
    for name, fn in (("action_report", page), ("region_report", region), ("national_totals", command)):
        samples = timed(fn, args.repeat)
        cpu_median = cpu_ms(fn)
        with CaptureQueriesContext(connection) as captured:
            fn()
        statements = [query["sql"] for query in captured.captured_queries
                      if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]
        own_samples = timed(functools.partial(replay, statements), args.repeat)
        median, p95 = median_p95(samples)
        own_median, _ = median_p95(own_samples)
        rows.append({"scale": args.label, "returns": returns, "what": name, "median_ms": median, "p95_ms": p95,
                     "queries": len(captured), "own_sql_ms": own_median,
                     "ratio": round(median / own_median, 2) if own_median else None, "cpu_ms": cpu_median})
    print_table(f"reports at {returns:,} returns ({IndustrialAction.objects.count():,} actions, "
                f"{ReturnRevision.objects.count():,} revisions; action {action.slug}, "
                f"{action.strike_days.count()} strike days; 1-minute load average {os.getloadavg()[0]:.2f})",
                ["scale", "returns", "what", "median_ms", "p95_ms", "queries", "own_sql_ms", "ratio", "cpu_ms"], rows)
    write_results(f"{args.name}-{args.label}", {"action": action.slug, "rows": rows})


if __name__ == "__main__":
    main()
