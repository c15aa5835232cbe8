"""Outliers across trusts: returns whose figures are far from those of similar trusts.

The trust's own-history warning (3 x its median) cannot see a trust that is wrong from its first
return. This compares each return of an action with its peers: trusts of the same type and similar
size, over the same action.

- Measure: each figure per 1,000 staff due that day (staff_due is the size of the workforce the
  action touches, and the denominator the trust itself reports). Only returns with staff due > 0
  (trusts the action affects) are compared.
- Peers: the same trust type and the same size band, where the band is staff due in half powers of
  ten (floor(2 x log10(staff due))): 100-316, 317-999, 1,000-3,162, 3,163-9,999, ...
- Distance: the modified z-score of Iglewicz and Hoaglin, 0.6745 x (rate - median) / MAD, where
  MAD is the median absolute deviation of the peers' rates. A return is an outlier when the score's
  size is above 3.5 and the group has at least MIN_PEERS trusts; a group with MAD 0 (most peers
  identical) flags nothing, since any difference would be infinitely far.

On PostgreSQL the medians are percentile_cont in one SQL statement; on SQLite (development only)
the same numbers are computed from one read of the rates.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from trusts.figures import FIGURE_LABELS, RESCHEDULED_FIELDS
from trusts.models import DailyReturn, IndustrialAction, ReturnStatus, Trust, TrustType

OUTLIER_FIGURES = ("staff_absent", *RESCHEDULED_FIELDS)
OUTLIER_SCORE = 3.5
MIN_PEERS = 5
_CONSISTENCY = 0.6745


@dataclass(frozen=True)
class Outlier:
    return_id: int
    ods_code: str
    trust_name: str
    trust_type: str
    date: Any
    figure: str
    value: int
    staff_due: int
    rate: float
    peer_median: float
    peers: int
    score: float

    @property
    def figure_label(self) -> str:
        return FIGURE_LABELS[self.figure]

    @property
    def trust_type_label(self) -> str:
        return str(TrustType(self.trust_type).label)

    @property
    def direction(self) -> str:
        return "higher" if self.score > 0 else "lower"

    def suggested_question(self) -> str:
        return (f"{self.figure_label} ({self.value:,}) is {self.rate:,.1f} per 1,000 staff due; similar "
                f"{self.trust_type_label.lower()} trusts reported a median of {self.peer_median:,.1f}. "
                "Please check the figure and confirm or correct it.")


def _postgres_sql(scope_sql: str) -> str:
    returns, trusts = DailyReturn._meta.db_table, Trust._meta.db_table
    values = ", ".join(f"('{name}', r.{name})" for name in OUTLIER_FIGURES)
    # Fixed table and column names only; every value is a parameter.
    return (
        "WITH rates AS ("  # noqa: S608  # nosec B608
        " SELECT r.id, r.trust_id, r.date, r.staff_due, t.ods_code, t.name, t.trust_type,"
        " FLOOR(2 * LOG(r.staff_due)) AS band, f.figure, f.value, 1000.0 * f.value / r.staff_due AS rate"
        f" FROM {returns} r JOIN {trusts} t ON t.id = r.trust_id"
        f" CROSS JOIN LATERAL (VALUES {values}) AS f(figure, value)"
        f" WHERE r.action_id = %s AND r.status = %s AND r.staff_due > 0 AND f.value IS NOT NULL{scope_sql}),"
        " medians AS (SELECT trust_type, band, figure, COUNT(DISTINCT trust_id) AS peers,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY rate) AS median FROM rates GROUP BY trust_type, band, figure),"
        " deviations AS (SELECT r.trust_type, r.band, r.figure,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY ABS(r.rate - m.median)) AS mad"
        " FROM rates r JOIN medians m USING (trust_type, band, figure) GROUP BY r.trust_type, r.band, r.figure)"
        " SELECT r.id, r.ods_code, r.name, r.trust_type, r.date, r.figure, r.value, r.staff_due, r.rate, m.median,"
        f" m.peers, {_CONSISTENCY} * (r.rate - m.median) / d.mad AS score"
        " FROM rates r JOIN medians m USING (trust_type, band, figure)"
        " JOIN deviations d USING (trust_type, band, figure)"
        f" WHERE d.mad > 0 AND m.peers >= %s AND ABS({_CONSISTENCY} * (r.rate - m.median) / d.mad) > %s"
        " ORDER BY ABS((r.rate - m.median) / d.mad) DESC, r.ods_code, r.date, r.figure"
    )


def _in_python(action: IndustrialAction, trusts: QuerySet[Trust] | None) -> list[tuple[Any, ...]]:
    returns = DailyReturn.objects.filter(action=action, status=ReturnStatus.SUBMITTED, staff_due__gt=0)
    if trusts is not None:
        returns = returns.filter(trust__in=trusts.values("pk"))
    rates: list[dict[str, Any]] = []
    for row in returns.values("id", "trust_id", "date", "staff_due", "trust__ods_code", "trust__name",
                              "trust__trust_type", *OUTLIER_FIGURES):
        band = math.floor(2 * math.log10(row["staff_due"]))
        for figure in OUTLIER_FIGURES:
            if row[figure] is not None:
                rates.append({**row, "band": band, "figure": figure, "value": row[figure],
                              "rate": 1000.0 * row[figure] / row["staff_due"]})
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for rate in rates:
        groups[(rate["trust__trust_type"], rate["band"], rate["figure"])].append(rate)
    found = []
    for members in groups.values():
        peers = len({m["trust_id"] for m in members})
        median = statistics.median(m["rate"] for m in members)
        mad = statistics.median(abs(m["rate"] - median) for m in members)
        if mad <= 0 or peers < MIN_PEERS:
            continue
        for m in members:
            score = _CONSISTENCY * (m["rate"] - median) / mad
            if abs(score) > OUTLIER_SCORE:
                found.append((m["id"], m["trust__ods_code"], m["trust__name"], m["trust__trust_type"], m["date"],
                              m["figure"], m["value"], m["staff_due"], m["rate"], median, peers, score))
    return sorted(found, key=lambda r: (-abs(r[11]), r[1], r[4], r[5]))


def outliers(action: IndustrialAction, trusts: QuerySet[Trust] | None = None) -> list[Outlier]:
    """The action's returns (in `trusts`, default all) whose figures are far from their peers'.
    Peers are drawn from the same scope, so a regional manager compares within their region."""
    if connection.vendor != "postgresql":
        rows = _in_python(action, trusts)
    else:
        scope_sql, params = "", []
        if trusts is not None:
            inner, scope_params = trusts.order_by().values("pk").query.sql_with_params()
            scope_sql, params = f" AND r.trust_id IN ({inner})", list(scope_params)
        with connection.cursor() as cursor:
            cursor.execute(_postgres_sql(scope_sql),
                           [action.pk, ReturnStatus.SUBMITTED.value, *params, MIN_PEERS, OUTLIER_SCORE])
            rows = cursor.fetchall()
    return [Outlier(return_id=r[0], ods_code=r[1], trust_name=r[2], trust_type=r[3], date=r[4], figure=r[5],
                    value=int(r[6]), staff_due=int(r[7]), rate=float(r[8]), peer_median=float(r[9]),
                    peers=int(r[10]), score=float(r[11])) for r in rows]
