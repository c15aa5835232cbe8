"""Imports: a returns CSV of N rows through `python manage.py import_returns`.

    python bench/bench_import.py --rows 100k [--rows 300k ...] [--tag after] [--keep]

For each size: new actions (past dates, five strike days each) with no returns, a CSV with one row
per (action, trust, strike day) in the command's layout and plausible figures, then the command in
its own process (so its peak memory is the import's alone): rows per second and peak RSS. Run at
two sizes to show that memory does not grow with the file.

Each size is imported twice in the same run (--history both, the default): once with strike days
before the generated history ("none": the 3x-median warning finds no earlier returns, the baseline)
and once with strike days that end where the generated history ends, or 30 days ago if that is
earlier ("history": every trust has earlier returns, so the import pays for the medians as a real
import of this season's returns does). The "earlier_returns" column says how many returns of the
file's trusts came before the file's first day.

The command's output (one line per warning) goes to a file, not to memory, so the child's peak RSS
is the import's. Unless --keep, the actions it made and their returns are deleted afterwards, so
that runs before and after a change import against the same history (--tag keeps slugs apart).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, bench_env, parse_scale, print_table, setup_django, write_results

# Run inside the child: the import, then its own time, CPU time (Python's side; the database's is not in it)
# and peak RSS on the last line.
CHILD = """
import io, json, resource, sys, time
import django
django.setup()
from django.core.management import call_command
started = time.perf_counter()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    call_command("import_returns", sys.argv[1], stdout=out, stderr=out)
seconds = time.perf_counter() - started
lines, summary = 0, []
with open(sys.argv[2], encoding="utf-8") as out:
    for line in out:  # one line at a time: the output may be hundreds of thousands of warnings
        lines, summary = lines + 1, [line]
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "summary": [s.strip() for s in summary], "warnings": max(0, lines - 1)}))
"""
DAYS_PER_ACTION = 5
FIRST = dt.date(2023, 1, 2)


def prepare(rows: int, label: str, rng: random.Random, first_day: dt.date = FIRST) -> tuple[Path, int]:
    """Actions with strike days in the past (from `first_day`, one after another) and a CSV of `rows`
    returns for them."""
    from django.db.models import Q

    from trusts.models import IndustrialAction, StrikeDay, Trust, WalkoutWindow
    from trusts.strike_calendar import LONDON, default_hard_close, return_deadline

    trusts = list(Trust.objects.filter(Q(open_date__isnull=True) | Q(open_date__lte=first_day), status="active")
                  .order_by("pk").values_list("ods_code", flat=True))
    per_action = len(trusts) * DAYS_PER_ACTION
    actions = -(-rows // per_action)
    if IndustrialAction.objects.filter(slug__startswith=f"import-{label}-").exists():
        raise SystemExit(f"Actions import-{label}-* exist already: use a fresh database (bench/run.py makes one).")
    path = Path(tempfile.gettempdir()) / f"strikeops-bench-import-{label}.csv"
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["action", "ods_code", "date", "staff_absent", "staff_due", "elective_rescheduled",
                         "outpatient_rescheduled", "community_rescheduled", "mental_health_rescheduled"])
        for index in range(actions):
            first = first_day + dt.timedelta(days=DAYS_PER_ACTION * index)
            last = first + dt.timedelta(days=DAYS_PER_ACTION - 1)
            action = IndustrialAction.objects.create(
                slug=f"import-{label}-{index:04d}", name=f"Import bench {label} {index:04d}", staff_group="nurses",
                unions=["RCN"], first_day=first, last_day=last, hard_close=default_hard_close(last))
            starts = dt.datetime.combine(first, dt.time(7), tzinfo=LONDON)
            WalkoutWindow.objects.create(action=action, starts_at=starts,
                                         ends_at=starts + dt.timedelta(days=DAYS_PER_ACTION))
            StrikeDay.objects.bulk_create(
                StrikeDay(action=action, date=first + dt.timedelta(days=d),
                          starts_at=starts + dt.timedelta(days=d), ends_at=starts + dt.timedelta(days=d + 1),
                          deadline=return_deadline(first + dt.timedelta(days=d)))
                for d in range(DAYS_PER_ACTION))
            for d in range(DAYS_PER_ACTION):
                date = (first + dt.timedelta(days=d)).isoformat()
                for ods in trusts:
                    if written == rows:
                        break
                    due = rng.randint(50, 900)
                    writer.writerow([action.slug, ods, date, rng.randint(0, due * 4 // 10), due, rng.randint(0, 60),
                                     rng.randint(0, 400), rng.randint(0, 40), rng.randint(0, 20)])
                    written += 1
    return path, written


def history_first(rows: int) -> dt.date:
    """The first strike day of a file of `rows` rows whose strike days end where the generated history
    ends (or 30 days ago, if that is earlier: imports are of past strike days)."""
    from django.db.models import Max, Q

    from trusts.models import IndustrialAction, Trust

    latest = IndustrialAction.objects.filter(slug__startswith="bench-").aggregate(last=Max("last_day"))["last"]
    if latest is None:
        raise SystemExit("No generated history: run bench/generate.py first.")
    end: dt.date = min(latest, dt.date.today() - dt.timedelta(days=30))
    trusts = Trust.objects.filter(Q(open_date__isnull=True) | Q(open_date__lte=end), status="active").count()
    days = DAYS_PER_ACTION * -(-rows // (trusts * DAYS_PER_ACTION))
    return end - dt.timedelta(days=days)


def earlier_returns(label: str) -> int:
    """Generated returns dated before the file's last strike day: the history its medians read."""
    from django.db.models import Max

    from trusts.models import DailyReturn, StrikeDay

    last = StrikeDay.objects.filter(action__slug__startswith=f"import-{label}-").aggregate(last=Max("date"))["last"]
    return DailyReturn.objects.filter(date__lt=last, action__slug__startswith="bench-").count()


def remove(label: str) -> None:
    """Delete the actions `prepare` made for `label`, their returns (the rollup triggers follow) and
    revisions, so that the database holds the generated history only."""
    from django.db import transaction

    from trusts.models import DailyReturn, IndustrialAction, ReturnRevision, StrikeDay, WalkoutWindow

    with transaction.atomic():
        actions = IndustrialAction.objects.filter(slug__startswith=f"import-{label}-")
        ReturnRevision.objects.filter(daily_return__action__in=actions).delete()
        DailyReturn.objects.filter(action__in=actions)._raw_delete(DailyReturn.objects.db)
        StrikeDay.objects.filter(action__in=actions).delete()
        WalkoutWindow.objects.filter(action__in=actions).delete()
        actions.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", action="append", default=None, help="Rows in the file: 100k, 300k (repeatable).")
    parser.add_argument("--tag", default="", help="Added to the actions' slugs, to run again on one database.")
    parser.add_argument("--keep", action="store_true", help="Keep the imported actions and returns.")
    parser.add_argument("--history", choices=("none", "history", "both"), default="both",
                        help="Strike days before the generated history (none), after some of it (history), or a file "
                             "of each in the same run (both, the default).")
    args = parser.parse_args()
    setup_django()
    rng = random.Random(11)
    results = []
    runs = [(label, history) for label in args.rows or ["100k", "300k"]
            for history in (("none", "history") if args.history == "both" else (args.history,))]
    for label, history in runs:
        slug_label = f"{label}{history[0]}{args.tag}"
        first = FIRST if history == "none" else history_first(parse_scale(label))
        path, rows = prepare(parse_scale(label), slug_label, rng, first)
        earlier = earlier_returns(slug_label)
        output = path.with_suffix(".out")
        load = os.getloadavg()[0]
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", CHILD, str(path), str(output)], cwd=ROOT, env=bench_env(),
                               capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if child.returncode != 0:
            raise SystemExit(f"import_returns failed:\n{child.stdout[-3000:]}\n{child.stderr[-3000:]}\n"
                             + output.read_text()[-3000:])
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        results.append({"rows": rows, "history": history, "earlier_returns": earlier,
                        "file_mb": round(path.stat().st_size / 2**20, 1),
                        "import_s": round(measured["seconds"], 1), "rows_per_s": round(rows / measured["seconds"]),
                        "process_s": round(wall, 1), "python_cpu_s": round(measured["cpu_s"], 1),
                        "peak_rss_mb": round(measured["peak_rss_mb"]),
                        "warnings": measured["warnings"], "load_1m": round(load, 1),
                        "summary": " ".join(measured["summary"])})
        path.unlink()
        output.unlink()
        if not args.keep:
            remove(slug_label)
    print_table("import_returns (one process each; peak RSS of that process)",
                ["rows", "history", "earlier_returns", "file_mb", "import_s",
                  "rows_per_s", "process_s", "python_cpu_s", "peak_rss_mb", "warnings",
                 "load_1m", "summary"], results)
    write_results("import", {"rows": results})


if __name__ == "__main__":
    main()
