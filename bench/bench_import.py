"""Imports: a returns CSV of N rows through `python manage.py import_returns`.

    python bench/bench_import.py --rows 100k [--rows 300k ...]

For each size: new actions (past dates, five strike days each) with no returns, a CSV with one row
per (action, trust, strike day) in the command's layout and plausible figures, then the command in
its own process (so its peak memory is the import's alone): rows per second and peak RSS. Run at
two sizes to show that memory does not grow with the file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, bench_env, parse_scale, print_table, setup_django, write_results

# Run inside the child: the import, then its own peak RSS and time on the last line.
CHILD = """
import io, json, resource, sys, time
import django
django.setup()
from django.core.management import call_command
started = time.perf_counter()
out, err = io.StringIO(), io.StringIO()
call_command("import_returns", sys.argv[1], stdout=out, stderr=err)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "summary": out.getvalue().strip().splitlines()[-1:], "warnings": err.getvalue().count("\\n")}))
"""
DAYS_PER_ACTION = 5
FIRST = dt.date(2023, 1, 2)


def prepare(rows: int, label: str, rng: random.Random) -> tuple[Path, int]:
    """Actions with strike days in the past and a CSV of `rows` returns for them."""
    from django.db.models import Q

    from trusts.models import IndustrialAction, StrikeDay, Trust, WalkoutWindow
    from trusts.strike_calendar import LONDON, default_hard_close, return_deadline

    trusts = list(Trust.objects.filter(Q(open_date__isnull=True) | Q(open_date__lte=FIRST), status="active")
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
            first = FIRST + dt.timedelta(days=DAYS_PER_ACTION * index)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", action="append", default=None, help="Rows in the file: 100k, 300k (repeatable).")
    args = parser.parse_args()
    setup_django()
    rng = random.Random(11)
    results = []
    for label in args.rows or ["100k", "300k"]:
        path, rows = prepare(parse_scale(label), label, rng)
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, env=bench_env(),
                               capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if child.returncode != 0:
            raise SystemExit(f"import_returns failed:\n{child.stdout[-3000:]}\n{child.stderr[-3000:]}")
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        results.append({"rows": rows, "file_mb": round(path.stat().st_size / 2**20, 1),
                        "import_s": round(measured["seconds"], 1), "rows_per_s": round(rows / measured["seconds"]),
                        "process_s": round(wall, 1), "peak_rss_mb": round(measured["peak_rss_mb"]),
                        "summary": " ".join(measured["summary"])})
        path.unlink()
    print_table("import_returns (one process each; peak RSS of that process)",
                ["rows", "file_mb", "import_s", "rows_per_s", "process_s", "peak_rss_mb", "summary"], results)
    write_results("import", {"rows": results})


if __name__ == "__main__":
    main()
