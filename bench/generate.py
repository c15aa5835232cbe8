"""Generate returns at scale on PostgreSQL: N trusts x D strike days x A actions, with COPY.

    python bench/generate.py --returns 1M [--trusts 500] [--seed 7]

Grows the bench database to at least --returns daily returns by adding synthetic industrial
actions (history), each with 1-5 strike days and a return from (almost) every trust. The shape of
one action is the same at every scale, so a report of one action shows the same number of trusts
and days at 10k and at 5M returns: only the history behind it grows. Run it again with a larger
figure to grow the same database (10k -> 100k -> 1M -> 5M).

Trusts: the real 209 (import_trusts, run by bench/run.py first) plus synthetic ones ("Z0001",
type and size drawn like the real mix, spread over the real ICBs) up to --trusts.

Distributions (seeded, so every run makes the same data):
- trust size: log-normal (sigma 0.9), so a few trusts are ten times the median; acute trusts
  reschedule elective and outpatient care, mental health trusts mental health, community trusts
  community, ambulance trusts next to nothing;
- rescheduled counts: zero-inflated (a zero with probability 0.25-0.7 by figure and trust type),
  otherwise gamma-Poisson around the trust's size, capped by the planned count where one is given
  (40% of returns give planned counts);
- workforce: only from trusts the action affects (30% of actions affect a random 60% of trusts);
  staff due from the trust size, absent a beta(2, 5) share of due;
- 5% nil returns ("no impact, confirmed"), 3% missing, 1% drafts (incomplete), 10% late;
- revisions: 8% of submitted returns were corrected once (version 2), 1% twice (version 3), each
  with a ReturnRevision row ({field: [old, new]}).

Everything goes in by COPY (psycopg's cursor.copy), one transaction per batch of actions, not through
the ORM or the services: the triggers on trusts_dailyreturn (rollups) see it like any bulk import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_scale, print_table, setup_django, write_results

STAFF_GROUPS = ["junior_doctors", "consultants", "nurses", "ambulance_workers", "physiotherapists"]
DAY_WEIGHTS = {1: 2, 2: 3, 3: 3, 4: 2, 5: 2}  # strike days per action
FIRST_DATE = dt.date(2025, 1, 6)
ACTIONS_PER_BATCH = 20


def _lognormal(rng: random.Random, sigma: float) -> float:
    return math.exp(rng.gauss(0, sigma))


def _gamma_poisson(rng: random.Random, mean: float) -> int:
    """A negative-binomial-like count: Poisson around a gamma-distributed mean (shape 2)."""
    if mean <= 0:
        return 0
    rate = rng.gammavariate(2.0, mean / 2.0)
    # Normal approximation to Poisson above 30 keeps generation fast.
    if rate > 30:
        return max(0, round(rng.gauss(rate, math.sqrt(rate))))
    limit, k, p = math.exp(-rate), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def ensure_trusts(count: int, rng: random.Random) -> list[tuple[int, str, float]]:
    """(id, trust type, size) for every trust, creating synthetic trusts up to `count`."""
    from trusts.models import ICB, Trust, TrustStatus

    existing = Trust.objects.count()
    if existing < count:
        icbs = list(ICB.objects.order_by("code"))
        types = list(Trust.objects.values_list("trust_type", flat=True)) or ["acute"]
        Trust.objects.bulk_create([
            Trust(ods_code=f"Z{n:04d}", ods_name=f"SYNTHETIC BENCH TRUST {n:04d}",
                  name=f"Synthetic bench trust {n:04d}", trust_type=rng.choice(types), icb=icbs[n % len(icbs)],
                  status=TrustStatus.ACTIVE,
                  contact_email=f"returns{n:04d}@bench.invalid")
            for n in range(existing - 208, count - 208)
        ])
    sizes = random.Random(1)  # trust sizes never change between runs
    return [(pk, kind, _lognormal(sizes, 0.9))
            for pk, kind in Trust.objects.filter(status="active").order_by("pk").values_list("pk", "trust_type")]


RESCHEDULE_MEANS = {  # per strike day for a trust of median size
    "acute": {"elective": 25, "outpatient": 160, "community": 8, "mental_health": 2},
    "mental_health": {"elective": 0, "outpatient": 10, "community": 12, "mental_health": 45},
    "community": {"elective": 0, "outpatient": 15, "community": 60, "mental_health": 4},
    "ambulance": {"elective": 0, "outpatient": 0, "community": 1, "mental_health": 0},
}
ZERO_PROBABILITY = {"elective": 0.35, "outpatient": 0.25, "community": 0.5, "mental_health": 0.6}
DUE_MEANS = {"acute": 320, "mental_health": 90, "community": 70, "ambulance": 150}

RETURN_COLUMNS = [
    "id", "action_id", "trust_id", "strike_day_id", "date", "staff_absent", "staff_due",
    "elective_rescheduled", "outpatient_rescheduled", "community_rescheduled", "mental_health_rescheduled",
    "elective_planned", "outpatient_planned", "status", "is_nil", "is_late", "first_submitted_at", "submitted_at",
    "source", "warning_comment", "version", "created_at", "updated_at",
]
REVISION_COLUMNS = ["daily_return_id", "version", "source", "reason", "changes", "created_at"]


def _figures(rng: random.Random, kind: str, size: float, affected: bool) -> dict[str, int | None]:
    values: dict[str, int | None] = {}
    for figure, mean in RESCHEDULE_MEANS[kind].items():
        zero = mean == 0 or rng.random() < ZERO_PROBABILITY[figure]
        values[f"{figure}_rescheduled"] = 0 if zero else min(_gamma_poisson(rng, mean * size), 1_000_000)
    if rng.random() < 0.4:
        values["elective_planned"] = values["elective_rescheduled"] + _gamma_poisson(rng, 400 * size)  # type: ignore[operator]
        values["outpatient_planned"] = values["outpatient_rescheduled"] + _gamma_poisson(rng, 2500 * size)  # type: ignore[operator]
    else:
        values["elective_planned"] = values["outpatient_planned"] = None
    if affected:
        due = max(1, min(_gamma_poisson(rng, DUE_MEANS[kind] * size), 1_000_000))
        values["staff_due"] = due
        values["staff_absent"] = min(due, round(due * rng.betavariate(2, 5)))
    else:
        values["staff_due"] = values["staff_absent"] = None
    return values


def _nil(values: dict[str, int | None], affected: bool) -> dict[str, int | None]:
    for figure in ("elective", "outpatient", "community", "mental_health"):
        values[f"{figure}_rescheduled"] = 0
    if affected:
        values["staff_absent"] = 0
    return values


def add_actions(*, count: int, start_index: int, trusts: list[tuple[int, str, float]], rng: random.Random,
                next_id: int) -> tuple[int, int, int]:
    """Create `count` actions with strike days and returns; (returns, revisions, next id)."""
    from django.db import connection, transaction

    from trusts.models import IndustrialAction, StrikeDay, WalkoutWindow
    from trusts.strike_calendar import LONDON, default_hard_close, return_deadline

    returns = revisions = 0
    with transaction.atomic():
        actions: list[IndustrialAction] = []
        spans: list[tuple[dt.date, dt.date]] = []
        windows: list[WalkoutWindow] = []
        days: list[StrikeDay] = []
        for index in range(start_index, start_index + count):
            first = FIRST_DATE + dt.timedelta(days=3 * index)
            length = rng.choices(list(DAY_WEIGHTS), weights=list(DAY_WEIGHTS.values()))[0]
            last = first + dt.timedelta(days=length - 1)
            group = rng.choice(STAFF_GROUPS)
            actions.append(IndustrialAction(
                slug=f"bench-{index:05d}", name=f"Bench action {index:05d}", staff_group=group, unions=["BMA"],
                first_day=first, last_day=last, hard_close=default_hard_close(last)))
            spans.append((first, last))
        IndustrialAction.objects.bulk_create(actions)
        for action, (first, last) in zip(actions, spans, strict=True):
            starts = dt.datetime.combine(first, dt.time(7), tzinfo=LONDON)
            ends = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(7), tzinfo=LONDON)
            windows.append(WalkoutWindow(action=action, starts_at=starts, ends_at=ends))
            date = first
            while date <= last:
                day_start = dt.datetime.combine(date, dt.time(7), tzinfo=LONDON)
                days.append(StrikeDay(action=action, date=date, starts_at=day_start,
                                      ends_at=day_start + dt.timedelta(days=1), deadline=return_deadline(date)))
                date += dt.timedelta(days=1)
        WalkoutWindow.objects.bulk_create(windows)
        StrikeDay.objects.bulk_create(days)
        affected_rows: list[Any] = []
        affected_by_action: dict[int, set[int] | None] = {}
        for action in actions:
            if rng.random() < 0.3:
                chosen = {pk for pk, _, _ in trusts if rng.random() < 0.6}
                affected_by_action[action.pk] = chosen
                affected_rows.extend(IndustrialAction.affected_trusts.through(industrialaction_id=action.pk, trust_id=t)
                                     for t in chosen)
            else:
                affected_by_action[action.pk] = None
        IndustrialAction.affected_trusts.through.objects.bulk_create(affected_rows)

        revision_rows: list[list[object]] = []
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY trusts_dailyreturn ({', '.join(RETURN_COLUMNS)}) FROM STDIN") as copy:
                for day in days:
                    affected_set = affected_by_action[day.action_id]
                    for trust_id, kind, size in trusts:
                        roll = rng.random()
                        if roll < 0.03:
                            continue  # missing
                        affected = affected_set is None or trust_id in affected_set
                        values = _figures(rng, kind, size, affected)
                        draft = roll < 0.04
                        nil = not draft and roll < 0.09
                        if nil:
                            values = _nil(values, affected)
                        if draft:
                            for name in rng.sample(["elective_rescheduled", "outpatient_rescheduled",
                                                    "community_rescheduled"], 2):
                                values[name] = None
                        late = not draft and rng.random() < 0.10
                        submitted = None if draft else day.deadline + dt.timedelta(
                            hours=rng.uniform(1, 30) if late else -rng.uniform(0.5, 20))
                        version = 1
                        if not draft:
                            revised = rng.random()
                            version = 3 if revised < 0.01 else 2 if revised < 0.09 else 1
                        for v in range(2, version + 1):
                            field = "outpatient_rescheduled"
                            new = values[field]
                            old = max(0, (new or 0) - rng.randint(1, 40))
                            revision_rows.append([next_id, v, "web", "Corrected after a recount.",
                                                  json.dumps({field: [old, new]}), submitted])
                        copy.write_row([
                            next_id, day.action_id, trust_id, day.pk, day.date, values["staff_absent"],
                            values["staff_due"], values["elective_rescheduled"], values["outpatient_rescheduled"],
                            values["community_rescheduled"], values["mental_health_rescheduled"],
                            values["elective_planned"], values["outpatient_planned"],
                            "draft" if draft else "submitted", nil, late, submitted, submitted,
                            "web" if rng.random() < 0.8 else "upload", "", version,
                            submitted or day.deadline, submitted or day.deadline,
                        ])
                        next_id += 1
                        returns += 1
            with raw.copy(f"COPY trusts_returnrevision ({', '.join(REVISION_COLUMNS)}) FROM STDIN") as copy:
                for row in revision_rows:
                    copy.write_row(row)
            revisions += len(revision_rows)
    return returns, revisions, next_id


BULK_TABLES = ("trusts_dailyreturn", "trusts_returnrevision")


def drop_secondary_indexes() -> list[str]:
    """The classic bulk load: drop the returns tables' secondary indexes and foreign keys, COPY,
    then rebuild them (returned: the statements that rebuild them). Index upkeep row by row, with a
    table far larger than shared_buffers, made COPY ten times slower; a rebuild sorts once. The
    unique constraint goes too: the generator makes unique rows by construction, and the rebuild
    checks it."""
    from django.db import connection

    rebuild: list[str] = []
    with connection.cursor() as cursor:
        for table in BULK_TABLES:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype IN ('f', 'u')", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                rebuild.append(definition)
    return rebuild


def grow(target: int, trusts_wanted: int, seed: int) -> dict[str, object]:
    from django.db import connection

    from trusts.models import DailyReturn, IndustrialAction

    started = time.perf_counter()
    rng = random.Random(seed + IndustrialAction.objects.count())
    trusts = ensure_trusts(trusts_wanted, rng)
    have = DailyReturn.objects.count()
    index = IndustrialAction.objects.filter(slug__startswith="bench-").count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM trusts_dailyreturn")
        next_id = cursor.fetchone()[0]
    added = revisions = 0
    per_action = len(trusts) * 3 * 0.97  # about 3 strike days, 3% missing
    rebuild = drop_secondary_indexes() if target - have > 200_000 else []
    while have + added < target:
        batch = max(1, min(ACTIONS_PER_BATCH, math.ceil((target - have - added) / per_action)))
        made, revised, next_id = add_actions(count=batch, start_index=index, trusts=trusts, rng=rng, next_id=next_id)
        index += batch
        added += made
        revisions += revised
        print(f"  {have + added:,} returns", end="\r", flush=True)
    with connection.cursor() as cursor:
        for statement in rebuild:
            cursor.execute(statement)
        # Ids were given explicitly in COPY; move the sequence past them for later inserts.
        cursor.execute("SELECT setval(pg_get_serial_sequence('trusts_dailyreturn', 'id'), "
                       "(SELECT coalesce(max(id), 1) FROM trusts_dailyreturn))")
        # VACUUM as well as ANALYZE: a bulk-loaded table has no visibility map until autovacuum
        # gets round to it, and without one the covering indexes (the submit path's median) cannot
        # be read index-only. A live database is vacuumed by autovacuum; benchmarks should not
        # measure the minutes after a bulk load. (VACUUM cannot run in a transaction: autocommit.)
        cursor.execute("VACUUM ANALYZE trusts_dailyreturn")
        cursor.execute("VACUUM ANALYZE trusts_returnrevision")
        cursor.execute("ANALYZE trusts_strikeday")
        # The reference tables too: imported just before, they may not have been analysed yet, and
        # the planner then guessed 36 trusts where there are 500 (BENCHMARKS.md, session 6).
        for table in ("trusts_trust", "trusts_icb", "trusts_region", "trusts_industrialaction", "trusts_returnrollup"):
            cursor.execute(f"ANALYZE {table}")
    seconds = time.perf_counter() - started
    return {"target": target, "returns": have + added, "added": added, "revisions_added": revisions,
            "trusts": len(trusts), "actions": IndustrialAction.objects.count(), "seconds": round(seconds, 1),
            "rows_per_second": round(added / seconds) if seconds and added else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--returns", required=True, help="Grow to at least this many returns: 10k, 1M, 5M, 250000.")
    parser.add_argument("--trusts", type=int, default=500, help="Trusts in all (the real 209 plus synthetic ones).")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_django()
    result = grow(parse_scale(args.returns), args.trusts, args.seed)
    print_table("generate", list(result), [result])
    write_results(f"generate-{args.returns}", result)


if __name__ == "__main__":
    main()
