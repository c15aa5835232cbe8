"""Rollups: the sums of the submitted returns of one action on one strike day, kept by the database.

The national figures of an action (per day, the action total, the season comparison and the
cumulative figures over every action) are sums over submitted returns. Read from trusts_dailyreturn
they cost time in proportion to every return ever recorded; read from here they cost time in
proportion to the number of (action, strike day) pairs, a few per action (bench/, BENCHMARKS.md).

Triggers on trusts_dailyreturn (migration 0009_return_rollups) keep these rows equal to a fresh
aggregate IN THE SAME TRANSACTION as every write: an insert, an update (figures, draft -> submitted,
a revision) or a delete adds its difference here, whichever code path wrote it (the returns
services, the web upload, import_returns's COPY, the API, the admin, raw SQL). Only TRUNCATE of
trusts_dailyreturn (which empties this table too on PostgreSQL) and writes with triggers disabled
bypass them; `python manage.py check_rollups` finds any drift and `--repair` rebuilds.

Why one row per (action, date) and not per (action, date, ICB): national figures and every action's
totals are what grow with history; a per-ICB key would multiply the rows by 42 (and tie them to the
trust -> ICB mapping, which import_trusts may change). Region, ICB and trust tables are of one
action and read its returns through the (action, date, status) index, whose cost is bounded by
the action's size, not by history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

# Every column a trigger maintains (ROLLUP_FIELDS), and what each return adds to it, are defined
# once, in trusts.figures.RETURN_SUMS; each is a plain sum, so a difference can be added.
from trusts.figures import ROLLUP_FIELDS, aggregates


def _total(help_text: str = "") -> models.BigIntegerField[int, int]:
    # Sums of up to 1,000,000 per return over thousands of returns outgrow a 32-bit integer.
    return models.BigIntegerField(default=0, help_text=help_text)


class ReturnRollup(models.Model):
    """Sums over the SUBMITTED returns of one action on one strike day (drafts never count)."""

    action = models.ForeignKey("trusts.IndustrialAction", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    staff_absent = _total()
    staff_due = _total()
    absent_with_due = _total("Staff absent, over returns that give staff due.")
    workforce_returns = _total("Returns that give staff due.")
    elective_rescheduled = _total()
    outpatient_rescheduled = _total()
    community_rescheduled = _total()
    mental_health_rescheduled = _total()
    elective_planned = _total()
    outpatient_planned = _total()
    elective_planned_rescheduled = _total("Elective rescheduled, over returns that give elective planned.")
    outpatient_planned_rescheduled = _total("Outpatient rescheduled, over returns that give outpatient planned.")
    returns = _total("Submitted returns.")
    nil_returns = _total()
    late_returns = _total()

    class Meta:
        # The table the triggers of trusts' migration 0009 write (the model moved apps; its table did not).
        db_table = "trusts_returnrollup"
        constraints = [
            # The triggers' ON CONFLICT target.
            models.UniqueConstraint(fields=["action", "date"], name="rollup_unique_per_action_day"),
        ]

    def __str__(self) -> str:
        return f"rollup {self.action_id} {self.date}"

    def figures(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ROLLUP_FIELDS}


def fresh_rollup_aggregates() -> dict[str, Any]:
    """The same sums computed by the ORM straight from the returns (check_rollups compares the two:
    the triggers' SQL and the ORM each read trusts.figures.RETURN_SUMS, independently)."""
    return aggregates(ROLLUP_FIELDS, over="returns")


RollupKey = tuple[int, dt.date]


def _fresh() -> dict[RollupKey, dict[str, int]]:
    from trusts.models.returns import DailyReturn, ReturnStatus

    # Prefixed: an annotation named like a field would shadow the field it sums.
    rows = (DailyReturn.objects.filter(status=ReturnStatus.SUBMITTED).values("action_id", "date")
            .annotate(**{f"fresh_{name}": value for name, value in fresh_rollup_aggregates().items()}).order_by())
    return {(r["action_id"], r["date"]): {f: r[f"fresh_{f}"] for f in ROLLUP_FIELDS}  # type: ignore[literal-required]
            for r in rows}  # (annotations named at run time)


def rollup_drift() -> list[tuple[RollupKey, dict[str, tuple[int, int]]]]:
    """Every (action, date) whose rollup differs from a fresh aggregate of its submitted returns:
    [((action_id, date), {field: (rollup, fresh)})]. A rollup row of zeros (every return of that
    day deleted or turned back to draft) equals no row. Empty when all is well."""
    zeros = dict.fromkeys(ROLLUP_FIELDS, 0)
    fresh = _fresh()
    stored = {(r["action_id"], r["date"]): {f: r[f] for f in ROLLUP_FIELDS}
              for r in ReturnRollup.objects.values("action_id", "date", *ROLLUP_FIELDS)}
    drift = []
    for key in sorted(fresh.keys() | stored.keys()):
        have, want = stored.get(key, zeros), fresh.get(key, zeros)
        if have != want:
            drift.append((key, {f: (have[f], want[f]) for f in ROLLUP_FIELDS if have[f] != want[f]}))
    return drift


def rollups_rebuild() -> int:
    """Replace every rollup with a fresh aggregate; returns the rows written. Writers of returns
    wait meanwhile (a SHARE lock on the returns until commit), so none slips between."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE trusts_dailyreturn IN SHARE MODE")
        ReturnRollup.objects.all().delete()
        fresh = _fresh()
        ReturnRollup.objects.bulk_create(
            (ReturnRollup(action_id=action_id, date=date, **figures) for (action_id, date), figures in fresh.items()),
            batch_size=1000)
    return len(fresh)
